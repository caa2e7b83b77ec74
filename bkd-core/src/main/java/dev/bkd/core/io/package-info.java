/**
 * File-system plumbing: atomic write-then-rename of files and folders, tree copy and deletion, cleaning up
 * after killed writes, and this process's memory counters ({@code ProcStatus}).
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.core.io;
