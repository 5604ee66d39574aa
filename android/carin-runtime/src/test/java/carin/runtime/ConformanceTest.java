package carin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every vector in tests/conformance/: the same contract the Python tests run. */
class ConformanceTest {
    @Test
    void thereAreAtLeastThirtyVectors() {
        assertTrue(TestFiles.vectors().size() >= 30, "vectors in " + TestFiles.conformanceDir());
    }

    @TestFactory
    List<DynamicTest> vectors() {
        List<DynamicTest> tests = new ArrayList<DynamicTest>();
        for (final File file : TestFiles.vectors()) {
            tests.add(DynamicTest.dynamicTest(file.getName(), () -> check(file)));
        }
        return tests;
    }

    private static void check(File file) throws Exception {
        JSONObject vector = TestFiles.json(file);
        assertFalse(vector.getString("why").isEmpty(), "each vector explains its expectations");
        // the decoded object, not its text: org.json writes 1.0 back as 1
        JSONObject planJson = vector.getJSONObject("plan");
        if (vector.has("error")) {
            String field = vector.getJSONObject("error").getString("field");
            PlanException e = assertThrows(PlanException.class,
                    () -> new Switcher(Plan.fromJson(planJson), TestFiles.monitor(vector)), file.getName());
            assertEquals(field, e.getField(), e.getMessage());
            assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
            JSONObject error = vector.getJSONObject("error");
            if (error.has("message")) {
                assertEquals(error.getString("message"), e.getMessage());
            }
            if (error.has("cache_mismatches")) {
                // loaded without validation, the switcher lists every disagreeing entry
                JSONArray texts = error.getJSONArray("cache_mismatches");
                List<String> want = new ArrayList<String>();
                for (int i = 0; i < texts.length(); i++) {
                    want.add(texts.getString(i));
                }
                Switcher lenient = new Switcher(Plan.fromJson(planJson), TestFiles.monitor(vector), false);
                assertEquals(want, lenient.cacheMismatches());
                assertThrows(UnsupportedOperationException.class, () -> lenient.cacheMismatches().clear());
            }
            return;
        }
        JSONArray expected = vector.getJSONArray("expected");
        // a vector that observes carries the miss probabilities after every step
        boolean observes = false;
        for (int i = 0; i < vector.getJSONArray("steps").length(); i++) {
            observes |= vector.getJSONArray("steps").getJSONObject(i).has("observe");
        }
        for (int i = 0; i < expected.length(); i++) {
            assertEquals(observes, expected.getJSONObject(i).has("miss_probabilities"), "step " + i);
        }
        // select, then selectCached: the same decisions and reasons (the Python test runs both too)
        for (boolean cached : new boolean[] {false, true}) {
            Switcher switcher = new Switcher(Plan.fromJson(planJson), TestFiles.monitor(vector));
            assertTrue(switcher.cacheMismatches().isEmpty(), switcher.cacheMismatches().toString());
            List<Object[]> got = TestFiles.run(switcher, vector.getJSONArray("steps"), cached);
            assertEquals(expected.length(), got.size());
            for (int i = 0; i < got.size(); i++) {
                JSONObject want = expected.getJSONObject(i);
                String at = "step " + i + (cached ? " (selectCached)" : "");
                Object design = want.isNull("design") ? null : want.getString("design");
                assertEquals(design, got.get(i)[0], at + " design");
                assertEquals(want.getBoolean("meets_slo"), got.get(i)[1], at + " meets_slo");
                assertEquals(want.getString("reason"), got.get(i)[3], at + " reason");
                if (want.has("miss_probabilities")) {
                    // Python's Switcher.miss_probability of every rank, to 1e-12
                    JSONArray miss = want.getJSONArray("miss_probabilities");
                    double[] have = (double[]) got.get(i)[4];
                    assertEquals(miss.length(), have.length, at + " miss probabilities");
                    for (int r = 0; r < have.length; r++) {
                        assertEquals(miss.getDouble(r), have[r], DifferentialTest.MISS_TOLERANCE,
                                at + " miss probability of rank " + r);
                    }
                }
            }
        }
    }
}
