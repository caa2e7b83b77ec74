package dev.bkd.train.checkpoint;

/**
 * A random generator whose full state can be saved and restored as bytes, so a resumed run draws the same
 * noise and timesteps. (Stand-in until the core seeded Generator lands: it only needs these two methods.)
 */
public interface RngState {
    /** The complete state, enough to continue the exact same stream after {@link #restoreState}. */
    byte[] saveState();

    /** Continues from a state returned by {@link #saveState}. */
    void restoreState(byte[] state);
}
