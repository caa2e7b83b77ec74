/**
 * The demo's scorer: reads back which shape, colour and background a generated picture shows, and
 * aggregates how well images follow their prompts.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.examples.shapes;
