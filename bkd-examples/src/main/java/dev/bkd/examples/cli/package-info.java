/**
 * The {@code bkd} command line (picocli): one class per subcommand, option groups shared as mixins.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.examples.cli;
