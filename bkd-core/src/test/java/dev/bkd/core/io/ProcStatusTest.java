package dev.bkd.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProcStatusTest {
    private static final String SAMPLE = "Name:\tjava\nVmPeak:\t 9876543 kB\nVmHWM:\t  412345 kB\nVmRSS:\t  398765 kB\n";

    @Test
    void readsTheKiBOfANamedField() {
        assertEquals(OptionalLong.of(412345), ProcStatus.parse(SAMPLE, "VmHWM"));
        assertEquals(OptionalLong.of(398765), ProcStatus.parse(SAMPLE, "VmRSS"));
        assertEquals(OptionalLong.empty(), ProcStatus.parse(SAMPLE, "VmSwap"));
        assertEquals(OptionalLong.empty(), ProcStatus.parse(SAMPLE, "VmH"), "a prefix of a field is not the field");
    }

    @Test
    void thisProcessHasAPeakAtLeastItsResidentSet() {
        OptionalLong rss = ProcStatus.rssKiB();
        if (rss.isPresent()) { // Linux
            assertTrue(ProcStatus.peakRssKiB().getAsLong() >= rss.getAsLong(), "the peak, read later, covers rss");
            assertTrue(rss.getAsLong() > 10_000, "a JVM uses more than 10 MB");
        }
    }
}
