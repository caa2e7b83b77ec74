/**
 * {@link dev.bkd.core.doctor.Doctor}: what this machine's engine, libtorch, devices and fused ops can run, for
 * {@code bkd doctor} and for applications that want to check before loading a model. Its own package because it
 * reads both the DJL workarounds ({@code dev.bkd.core.djl}) and the ops backend ({@code dev.bkd.core.ops}), which
 * itself uses the workarounds: inside either it would close a package cycle.
 */
package dev.bkd.core.doctor;
