package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * Result of one {@link Scheduler#step}: the sample at the previous (less noisy) timestep and, where the
 * algorithm defines one, the predicted clean sample x0 (null for PNDM and DPM-Solver's noise-space variants,
 * like diffusers). Both live in the manager of the {@code sample} passed to {@code step}.
 */
public record StepOutput(NDArray prevSample, NDArray predOriginalSample) {}
