package dev.bkd.core.pickle;

/** A torch storage named by a pickle's persistent id: its bytes are the archive record {@code data/<key>}. */
public record StorageRef(StorageType type, String key, String location, long numel) {}
