package dev.bkd.serve;

import java.util.List;

/** The PNGs a job made (with their seeds and infotexts), and whether an interrupt cut it short. */
record GenerateResult(List<byte[]> pngs, List<Long> seeds, List<String> infotexts, boolean interrupted,
        String jobTimestamp) {}
