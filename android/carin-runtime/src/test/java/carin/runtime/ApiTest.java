package carin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;

/** The public API beyond the shared vectors: accessors, listeners, threads, odd input. */
class ApiTest {
    /** d0 npu 6 ms 40 MB, d1 gpu 12 ms 80 MB, d2 npu 1 ms, d3 cpu 8 ms (fallback), d4 cpu 3 ms. */
    static Plan phone() throws Exception {
        JSONObject vector = TestFiles.json(new File(TestFiles.conformanceDir(), "single_unavailable.json"));
        return Plan.fromJson(vector.getJSONObject("plan"));
    }

    @Test
    void planAccessorsGiveWhatAnAppLoads() throws Exception {
        Plan plan = phone();
        assertEquals("phone-classifier", plan.name());
        assertEquals(Collections.singletonList("main"), plan.tasks());
        assertEquals(5, plan.designs().size());
        assertEquals("d0", plan.primary().id());
        assertEquals("d3", plan.fallback().id());
        Part part = plan.design("d1").part();
        assertEquals("gpu", part.processor());
        assertEquals(12.0, part.latencyMs(), 0.0);
        assertEquals("efficientnet_b4", part.configString("model"));
        assertEquals("fp16", part.configString("precision"));
        assertNull(part.asset());
        assertEquals(4, part.configInt("threads", 4));
        assertEquals(79.5, plan.design("d1").metrics().get("accuracy"), 0.0);
        assertEquals(20.0, plan.latencyLimitMs(), 0.0);
        assertNull(plan.design("d9"));
        assertThrows(UnsupportedOperationException.class, () -> plan.designs().clear());
    }

    @Test
    void missProbabilityFollowsTheMonitorAndTheLimit() throws Exception {
        Switcher switcher = new Switcher(phone());
        assertThrows(IndexOutOfBoundsException.class, () -> switcher.missProbability(5));
        assertThrows(IndexOutOfBoundsException.class, () -> switcher.missProbability(-1));
        // limit 20 ms, d0 6 ms: sd 6 sqrt(p0 + q + r) = 0.70, so the miss is 1 - Phi(20), below 1e-15
        assertTrue(switcher.missProbability(0) < 1e-15, "" + switcher.missProbability(0));
        // a budget at d0's latency: mean on the limit, a miss one time in two
        switcher.select(Conditions.builder().latencyBudgetMs(6).build());
        assertEquals(0.5, switcher.missProbability(0), 1e-15);
        double before = switcher.missProbability(0);
        switcher.observe("d0", 7.0); // slower than profiled: the npu estimate rises
        assertTrue(switcher.missProbability(0) > before, switcher.missProbability(0) + " after a slow run");
        // a NaN budget holds nothing: every design misses
        switcher.select(Conditions.builder().latencyBudgetMs(Double.NaN).build());
        assertEquals(1.0, switcher.missProbability(3), 0.0);
    }

    @Test
    void aTableThatDisagreesLoadsOnlyWithoutValidation() throws Exception {
        JSONObject vector = TestFiles.json(new File(TestFiles.conformanceDir(), "malformed_table_mismatches.json"));
        Plan plan = Plan.fromJson(vector.getJSONObject("plan"));
        PlanException e = assertThrows(PlanException.class, () -> new Switcher(plan));
        assertTrue(e.getMessage().endsWith("; and 3 more such entries"), e.getMessage());
        Switcher lenient = new Switcher(plan, null, false);
        assertEquals(4, lenient.cacheMismatches().size());
        assertEquals(e.getMessage(), lenient.cacheMismatches().get(0) + "; and 3 more such entries");
        // selectCached answers by the rule, not by the plan's wrong entry (conditions[1]: 50 MB -> d0)
        Conditions memory = Conditions.builder().memoryBudgetMb(50).build();
        assertEquals("d0", lenient.selectCached(memory).designId());
        assertTrue(new Switcher(phone()).cacheMismatches().isEmpty());
    }

    @Test
    void reasonsNameWhatExcludedTheBetterDesigns() throws Exception {
        Switcher switcher = new Switcher(phone());
        Conditions noNpu = Conditions.builder().unavailable("npu").build();
        Decision d = switcher.select(noNpu);
        assertEquals("d1", d.designId());
        // d0 runs on the npu: excluded by name; d1 holds
        assertTrue(switcher.whyInfeasible(0, noNpu).contains("npu"), switcher.whyInfeasible(0, noNpu));
        assertNull(switcher.whyInfeasible(1, noNpu));
        assertNull(switcher.whyInfeasible(0, null));
        assertTrue(d.reason().startsWith("d1: "), d.reason());
        assertTrue(d.reason().contains("d0 (" + switcher.whyInfeasible(0, noNpu) + ")"), d.reason());
        assertSame(d.reason(), d.reason());
        assertEquals(switcher.explain(d), d.reason());
        assertThrows(IndexOutOfBoundsException.class, () -> switcher.whyInfeasible(5, noNpu));
        assertThrows(IndexOutOfBoundsException.class, () -> switcher.whyInfeasible(-1, noNpu));
        assertSame(switcher.plan().design("d1"), switcher.design("d1"));
        assertNull(switcher.design("d9"));
        // selectCached decides as select, also for a condition set no table entry holds
        Conditions odd = Conditions.builder().unavailable("npu").memoryBudgetMb(60).build();
        assertEquals(switcher.select(odd).designId(), switcher.selectCached(odd).designId());
        assertEquals(d.designId(), switcher.selectCached(noNpu).designId());
        assertEquals(d.reason(), switcher.current().reason());
    }

    @Test
    void theRankingModeAndWeightsAreReadWhenThePlanRecordsThem() throws Exception {
        assertNull(phone().preference());
        assertNull(phone().objectives().get(0).weight());
        JSONObject vector = TestFiles.json(new File(TestFiles.conformanceDir(), "preference_weighted.json"));
        JSONObject json = vector.getJSONObject("plan");
        Plan plan = Plan.fromJson(json);
        assertEquals("weighted", plan.preference());
        assertEquals(json.getJSONArray("objectives").getJSONObject(0).getDouble("weight"),
                plan.objectives().get(0).weight(), 0.0);
        json.put("preference", "lexicographic");  // weights belong to a weighted ranking only
        final JSONObject weighted = json;
        PlanException refused = assertThrows(PlanException.class, () -> Plan.fromJson(weighted));
        assertEquals("objectives[0].weight", refused.getMessage().split(":")[0]);
        for (int i = 0; i < json.getJSONArray("objectives").length(); i++) {
            json.getJSONArray("objectives").getJSONObject(i).remove("weight");
        }
        assertEquals("lexicographic", Plan.fromJson(json).preference());
        json.put("preference", JSONObject.NULL);
        assertNull(Plan.fromJson(json).preference());
    }

    @Test
    void assetAndThreadsFlowFromTheConfig() throws Exception {
        JSONObject json = TestFiles.json(new File(TestFiles.conformanceDir(), "single_unavailable.json"))
                .getJSONObject("plan");
        JSONObject config = json.getJSONArray("designs").getJSONObject(0).getJSONArray("parts").getJSONObject(0)
                .getJSONObject("config");
        config.put("asset", "models/efficientnet_b4_w8a8.tflite");
        config.put("threads", 2);
        Part part = Plan.fromJson(json).primary().part();
        assertEquals("models/efficientnet_b4_w8a8.tflite", part.asset());
        assertEquals(2, part.configInt("threads", 4));
        assertEquals("2", part.configString("threads"));
    }

    @Test
    void readingTextAndStreams() throws Exception {
        String text = TestFiles.json(new File(TestFiles.conformanceDir(), "single_unavailable.json"))
                .getJSONObject("plan").toString();
        Plan plan = Plan.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals("d1", new Switcher(plan).select(Conditions.builder().unavailable("npu").build()).designId());
        PlanException notJson = assertThrows(PlanException.class, () -> Plan.parse("{\"format\": "));
        assertEquals("plan", notJson.getField());
        assertTrue(notJson.getMessage().startsWith("plan: not valid JSON"), notJson.getMessage());
        assertEquals("plan", assertThrows(PlanException.class, () -> Plan.parse("[1, 2]")).getField());
        PlanException nan = assertThrows(PlanException.class,
                () -> Plan.parse(text.replace("\"value\":20", "\"value\":NaN")));
        assertEquals("plan", nan.getField(), nan.getMessage()); // org.json refuses NaN itself
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 100000; i++) {
            deep.append('[');
        }
        assertEquals("plan", assertThrows(PlanException.class, () -> Plan.parse(deep.toString())).getField());
    }

    /** A stream of spaces that never ends, counting the bytes taken from it. */
    static final class Endless extends InputStream {
        long taken;

        @Override
        public int read() {
            taken++;
            return ' ';
        }

        @Override
        public int read(byte[] b, int off, int len) {
            java.util.Arrays.fill(b, off, off + len, (byte) ' ');
            taken += len;
            return len;
        }
    }

    @Test
    void streamsAreReadUpToTheCapOnly() throws Exception {
        Endless endless = new Endless();
        PlanException big = assertThrows(PlanException.class, () -> Plan.read(endless));
        assertEquals("plan", big.getField());
        assertEquals("plan: more than 16,777,216 bytes; a plan may have at most 16,777,216", big.getMessage());
        assertEquals(Plan.MAX_BYTES + 1L, endless.taken); // one byte past the cap, no more
        assertEquals(16 * 1024 * 1024, Plan.MAX_BYTES);

        byte[] text = TestFiles.json(new File(TestFiles.conformanceDir(), "single_unavailable.json"))
                .getJSONObject("plan").toString().getBytes(StandardCharsets.UTF_8);
        assertEquals("d0", Plan.read(new ByteArrayInputStream(text), text.length).primary().id()); // at the cap
        PlanException over = assertThrows(PlanException.class,
                () -> Plan.read(new ByteArrayInputStream(text), text.length - 1));
        assertTrue(over.getMessage().startsWith("plan: more than "), over.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plan.read(new ByteArrayInputStream(text), -1));
    }

    @Test
    void streamsMustBeUtf8() throws Exception {
        String text = TestFiles.json(new File(TestFiles.conformanceDir(), "single_unavailable.json"))
                .getJSONObject("plan").toString();
        byte[] latin1 = text.replace("phone-classifier", "caf\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        int at = text.indexOf("phone-classifier") + 3;
        PlanException notUtf8 = assertThrows(PlanException.class, () -> Plan.read(new ByteArrayInputStream(latin1)));
        assertEquals("plan", notUtf8.getField());
        assertEquals("plan: not UTF-8 text (byte 0xe9 at offset " + at
                + "; Latin-1 or another encoding?); save the plan as UTF-8", notUtf8.getMessage());
        byte[] utf16 = text.getBytes(StandardCharsets.UTF_16); // with its byte-order mark
        assertEquals("plan: the plan is UTF-16-encoded; save it as UTF-8",
                assertThrows(PlanException.class, () -> Plan.read(new ByteArrayInputStream(utf16))).getMessage());
        byte[] utf8 = text.replace("phone-classifier", "caf\u00e9").getBytes(StandardCharsets.UTF_8);
        byte[] bom = new byte[utf8.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bom, 3, utf8.length);
        assertEquals("caf\u00e9", Plan.read(new ByteArrayInputStream(bom)).name());
    }

    @Test
    void objectivesCarryTheRankingTolerances() throws Exception {
        JSONObject vector = TestFiles.json(new File(TestFiles.conformanceDir(), "tolerance_in_objectives.json"));
        Plan plan = Plan.fromJson(vector.getJSONObject("plan"));
        assertEquals(2, plan.objectives().size());
        Objective accuracy = plan.objectives().get(0);
        assertEquals("accuracy", accuracy.metric());
        assertEquals("max", accuracy.goal());
        assertTrue(accuracy.maximise());
        assertEquals(0.5, accuracy.tolerance(), 0.0);
        assertEquals("max accuracy (tolerance 0.5)", accuracy.toString());
        Objective latency = plan.objectives().get(1);
        assertNull(latency.tolerance());
        assertEquals("min latency_ms", latency.toString());
        assertThrows(UnsupportedOperationException.class, () -> plan.objectives().clear());

        JSONObject json = vector.getJSONObject("plan");
        json.getJSONArray("objectives").getJSONObject(0).put("tolerance", JSONObject.NULL);
        assertNull(Plan.fromJson(json).objectives().get(0).tolerance()); // null: no tolerance
        json.getJSONArray("objectives").getJSONObject(0).put("tolerance", 2);
        assertEquals("max accuracy (tolerance 2)", Plan.fromJson(json).objectives().get(0).toString());
        json.getJSONArray("objectives").getJSONObject(1).put("tolerance", -1);
        PlanException negative = assertThrows(PlanException.class, () -> Plan.fromJson(json));
        assertEquals("objectives[1].tolerance", negative.getField());
        assertEquals("objectives[1].tolerance: expected a number >= 0, got -1", negative.getMessage());
        json.getJSONArray("objectives").getJSONObject(1).put("tolerance", "0.5");
        assertEquals("objectives[1].tolerance: expected a number or null",
                assertThrows(PlanException.class, () -> Plan.fromJson(json)).getMessage());
        // JSON has no NaN: org.json refuses it while parsing, before the validator sees it
        String nan = json.toString().replace("\"tolerance\":\"0.5\"", "\"tolerance\":NaN");
        assertEquals("plan", assertThrows(PlanException.class, () -> Plan.parse(nan)).getField());
    }

    @Test
    void conditionsNormaliseNamesAndFactors() {
        Conditions c = Conditions.builder()
                .unavailable("NPU", null, "Gpu")
                .slowdown("CPU", 2.0)
                .slowdown("cpu", 1.5)
                .slowdown("dsp", 0.5)
                .slowdown("gpu", Double.NaN)
                .build();
        assertEquals(new java.util.LinkedHashSet<String>(java.util.Arrays.asList("npu", "gpu")), c.unavailable());
        assertEquals(Collections.singletonMap("cpu", 2.0), c.slowdown());
        assertNull(c.memoryBudgetMb());
        Conditions d = c.toBuilder().available("gpu").memoryBudgetMb(50).build();
        assertEquals(Collections.singleton("npu"), d.unavailable());
        assertEquals(50.0, d.memoryBudgetMb(), 0.0);
        assertEquals(c, c.toBuilder().build());
        assertFalse(c.equals(d));
        assertTrue(Conditions.NOMINAL.isNominal());
    }

    @Test
    void selectNeverThrowsOnOddNumbers() throws Exception {
        Switcher s = new Switcher(phone());
        double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0, 0.0, Double.MAX_VALUE,
            Double.MIN_VALUE};
        for (double v : odd) {
            s.select(Conditions.builder().memoryBudgetMb(v).build());
            s.select(Conditions.builder().latencyBudgetMs(v).build());
            s.select(Conditions.builder().powerMw(v).build());
            s.select(Conditions.builder().slowdown("npu", v).slowdown("cpu", v).build());
            s.observe(null, v);
            s.observe("d1", v);
            s.observe("nope", v);
        }
        Decision nan = s.select(Conditions.builder().memoryBudgetMb(Double.NaN).build());
        assertEquals("d3", nan.designId()); // a NaN budget holds no design: the flagged fallback
        assertTrue(nan.isFallback());
        Decision none = s.select(null);
        assertTrue(none.meetsSlo() || none.isFallback());
    }

    @Test
    void listenersFireOnlyOnChanges() throws Exception {
        Switcher s = new Switcher(phone());
        assertNull(s.current());
        final List<String> seen = new ArrayList<String>();
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onChange(Decision now, Decision previous) {
                seen.add((previous == null ? null : previous.designId()) + "->" + now.designId());
            }
        };
        s.addListener(listener);
        s.select(Conditions.NOMINAL);
        s.select(Conditions.builder().unavailable("cpu").build()); // d0 still best: no call
        s.select(Conditions.builder().unavailable("npu").build());
        Decision d = s.select(Conditions.builder().unavailable("npu").memoryBudgetMb(100).build());
        assertEquals(java.util.Arrays.asList("null->d0", "d0->d1"), seen);
        assertSame(d, s.current());
        s.removeListener(listener);
        s.select(Conditions.NOMINAL);
        assertEquals(2, seen.size());
    }

    @Test
    void observeWithoutSelectStartsNominal() throws Exception {
        Switcher s = new Switcher(phone());
        assertEquals("d0", s.observe(null, 6.0).designId());
        assertEquals(1, s.estimates().size());
        s.resetMonitor();
        assertTrue(s.estimates().isEmpty());
        assertTrue(s.monitorSlowdown().isEmpty());
    }

    @Test
    void monitorSettingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.builder().threshold(0.9).build());
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.builder().release(0.2).build());
        assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.fromJson(new JSONObject(Collections.singletonMap("rr", 1))));
        assertEquals(1.2815515655446008, MonitorConfig.z(0.1), 0.0);
    }

    @Test
    void theLogarithmSeriesIsAccurate() {
        double[] xs = {1e-300, 1e-10, 0.02, 0.1, 0.5, 0.75, 1.0, 2.0, 1e10, Double.MIN_VALUE};
        for (double x : xs) {
            assertEquals(Math.log(x), NormalQuantile.log(x), 1e-15 * Math.max(1.0, Math.abs(Math.log(x))));
        }
        assertEquals(-NormalQuantile.quantile(0.02), NormalQuantile.quantile(0.98), 1e-15);
    }

    /** Conditions arrive from system callbacks while the inference thread selects and observes. */
    @Test
    void concurrentCallersSeeConsistentDecisions() throws Exception {
        final Switcher s = new Switcher(phone());
        final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
        final List<Decision> changes = Collections.synchronizedList(new ArrayList<Decision>());
        s.addListener(new ChangeListener() {
            @Override
            public void onChange(Decision now, Decision previous) {
                if (previous != null && previous.rank() == now.rank()) {
                    failure.set(new AssertionError("listener called without a change"));
                }
                changes.add(now);
            }
        });
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            final int id = t;
            threads[t] = new Thread(new Runnable() {
                @Override
                public void run() {
                    try {
                        for (int i = 0; i < 20000; i++) {
                            if (id == 0) {
                                Decision d = s.observe(null, 6.0 + (i % 7));
                                assertTrue(d.designId() != null);
                            } else {
                                Conditions c = i % 2 == 0 ? Conditions.builder().unavailable("npu").build()
                                        : Conditions.builder().memoryBudgetMb(20 + id).build();
                                Decision d = s.select(c);
                                assertTrue(d.meetsSlo() || d.isFallback());
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertSame(s.current(), changes.get(changes.size() - 1));
    }
}
