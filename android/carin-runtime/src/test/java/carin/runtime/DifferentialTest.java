package carin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;

/**
 * The Python switcher's decisions for seeded random plans (written by
 * tests/runtime_differential.py): this port must reproduce every decision and, after the
 * last step, the monitor's estimates bit for bit.
 */
class DifferentialTest {
    @Test
    void everyDecisionOfThePythonSwitcherIsReproduced() throws Exception {
        File file = TestFiles.differentialFile();
        assertTrue(file.isFile(), file + " is missing: write it with python tests/runtime_differential.py --out "
                + file);
        JSONObject content = TestFiles.json(file);
        assertEquals("carin-differential/2", content.getString("format"),
                file + " was written by an older tests/runtime_differential.py: delete it to rewrite it");
        JSONObject quantiles = content.getJSONObject("quantiles");
        Iterator<String> levels = quantiles.keys();
        while (levels.hasNext()) {
            String level = levels.next();
            double want = Double.parseDouble(quantiles.getString(level));
            assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(MonitorConfig.z(Double.parseDouble(level))),
                    "z at level " + level);
        }
        // numbers in reasons: Python's format(x, "g"), ".4g" and ".3g"
        JSONArray formats = content.getJSONArray("formats");
        assertTrue(formats.length() >= 100, formats.length() + " numbers");
        for (int k = 0; k < formats.length(); k++) {
            JSONArray row = formats.getJSONArray(k);
            String text = row.getString(0);
            double x = text.equals("nan") ? Double.NaN : text.equals("inf") ? Double.POSITIVE_INFINITY
                    : text.equals("-inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(text);
            assertEquals(row.getString(1), PyFormat.g(x), "format(" + text + ", 'g')");
            assertEquals(row.getString(2), PyFormat.g(x, 4), "format(" + text + ", '.4g')");
            assertEquals(row.getString(3), PyFormat.g(x, 3), "format(" + text + ", '.3g')");
        }
        checkNormalCdf(content.getJSONArray("normal_cdf"));
        // design ids in messages: Python's repr
        JSONArray reprs = content.getJSONArray("reprs");
        assertTrue(reprs.length() >= 10, reprs.length() + " texts");
        for (int k = 0; k < reprs.length(); k++) {
            assertEquals(reprs.getJSONArray(k).getString(1), Json.repr(reprs.getJSONArray(k).getString(0)));
        }
        JSONArray cases = content.getJSONArray("cases");
        assertTrue(cases.length() >= 1000, cases.length() + " cases");
        int decisions = 0;
        int reasons = 0;
        int cachedSteps = 0;
        double missDiff = 0.0;
        int missChecked = 0;
        int missBetween = 0;
        for (int c = 0; c < cases.length(); c++) {
            JSONObject kase = cases.getJSONObject(c);
            String name = kase.getString("name");
            Switcher switcher = new Switcher(Plan.fromJson(kase.getJSONObject("plan")), TestFiles.monitor(kase));
            JSONArray expected = kase.getJSONArray("expected");
            List<Object[]> got = TestFiles.run(switcher, kase.getJSONArray("steps"));
            for (int i = 0; i < got.size(); i++) {
                JSONArray want = expected.getJSONArray(i);
                Object design = want.isNull(0) ? null : want.getString(0);
                if (!eq(design, got.get(i)[0]) || want.getBoolean(1) != (Boolean) got.get(i)[1]
                        || want.getBoolean(2) != (Boolean) got.get(i)[2]) {
                    fail(name + " step " + i + " (" + kase.getJSONArray("steps").get(i) + "): Python " + want
                            + ", Java [" + got.get(i)[0] + ", " + got.get(i)[1] + ", " + got.get(i)[2] + "]");
                }
                if (want.length() > 3 && !want.getString(3).equals(got.get(i)[3])) {
                    fail(name + " step " + i + " (" + kase.getJSONArray("steps").get(i) + "): Python reason\n  "
                            + want.getString(3) + "\nJava reason\n  " + got.get(i)[3]);
                }
                reasons += want.length() > 3 ? 1 : 0;
                cachedSteps += kase.getJSONArray("steps").getJSONObject(i).optBoolean("cached", false) ? 1 : 0;
                decisions++;
            }
            Map<String, double[]> estimates = switcher.estimates();
            JSONObject wantEst = kase.getJSONObject("estimates");
            assertEquals(wantEst.length(), estimates.size(), name + " filters");
            for (Map.Entry<String, double[]> e : estimates.entrySet()) {
                JSONArray pair = wantEst.getJSONArray(e.getKey());
                assertEquals(Double.parseDouble(pair.getString(0)), e.getValue()[0], 0.0, name + " x of " + e.getKey());
                assertEquals(Double.parseDouble(pair.getString(1)), e.getValue()[1], 0.0, name + " P of " + e.getKey());
            }
            // the predicted miss probability of every design after the last step (to 1e-12)
            JSONArray wantMiss = kase.getJSONArray("miss_probabilities");
            assertEquals(kase.getJSONObject("plan").getJSONArray("designs").length(), wantMiss.length(), name);
            for (int r = 0; r < wantMiss.length(); r++) {
                double py = Double.parseDouble(wantMiss.getString(r));
                double java = switcher.missProbability(r);
                assertTrue(Math.abs(java - py) <= MISS_TOLERANCE, name + " miss probability of rank " + r
                        + ": Python " + py + ", Java " + java);
                missDiff = Math.max(missDiff, Math.abs(java - py));
                missBetween += py > 0.0 && py < 1.0 ? 1 : 0;
                missChecked++;
            }
            JSONObject wantSlow = kase.getJSONObject("monitor_slowdown");
            Map<String, Double> slow = switcher.monitorSlowdown();
            assertEquals(wantSlow.length(), slow.size(), name + " monitor slowdown");
            for (Map.Entry<String, Double> e : slow.entrySet()) {
                assertEquals(Double.parseDouble(wantSlow.getString(e.getKey())), e.getValue(), 0.0, name);
            }
        }
        assertTrue(reasons == decisions, reasons + " of " + decisions + " decisions carry Python's reason");
        assertTrue(cachedSteps >= 1000, cachedSteps + " steps through selectCached");
        assertTrue(missBetween >= 1000, missBetween + " miss probabilities strictly between 0 and 1");
        System.out.println("differential: " + cases.length() + " cases, " + decisions + " decisions and reasons reproduced ("
                + cachedSteps + " through selectCached); " + missChecked + " miss probabilities, max |Java - Python| "
                + missDiff);
    }

    /** Miss probabilities (Python's, from statistics.NormalDist, and Java's) agree to this. */
    static final double MISS_TOLERANCE = 1e-12;

    /**
     * {@link NormalCdf} against Python's normal distribution function: within 1e-15 of {@code
     * NormalDist().cdf} (what the switcher uses) and, where that value has no relative precision
     * left (the lower tail), within a relative 1e-12 of {@code 0.5 * erfc(-x / sqrt(2))}.
     */
    private static void checkNormalCdf(JSONArray grid) throws Exception {
        assertTrue(grid.length() >= 1000, grid.length() + " points");
        double absolute = 0.0;
        double relative = 0.0;
        for (int k = 0; k < grid.length(); k++) {
            JSONArray row = grid.getJSONArray(k);
            double x = Double.parseDouble(row.getString(0));
            double python = Double.parseDouble(row.getString(1));
            double tail = Double.parseDouble(row.getString(2));
            double got = NormalCdf.cdf(x);
            assertTrue(Math.abs(got - python) <= 1e-15, "Phi(" + x + "): Python " + python + ", Java " + got);
            absolute = Math.max(absolute, Math.abs(got - python));
            if (tail >= Double.MIN_NORMAL) {
                double err = Math.abs(got - tail) / tail;
                assertTrue(err <= 1e-12, "Phi(" + x + "): 0.5 erfc(-x/sqrt 2) = " + tail + ", Java " + got);
                relative = Math.max(relative, err);
            }
            assertEquals(1.0 - got, NormalCdf.upper(x), 2.3e-16, "1 - Phi(" + x + ")");
        }
        System.out.println("normal cdf: " + grid.length() + " points, max |Java - NormalDist.cdf| " + absolute
                + ", max relative difference from 0.5 erfc(-x/sqrt 2) " + relative);
    }

    private static boolean eq(Object a, Object b) {
        return a == null ? b == null : a.equals(b);
    }
}
