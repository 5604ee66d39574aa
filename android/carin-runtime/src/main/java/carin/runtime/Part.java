package carin.runtime;

import java.util.Map;

/** One part of a design: the configuration that runs one task of the app. */
public final class Part {
    private final String task;
    private final String processor;
    private final Double latencyMs;
    private final Double memoryMb;
    private final Double maxLatencyMs;
    private final Map<String, Object> config;

    Part(String task, String processor, Double latencyMs, Double memoryMb, Double maxLatencyMs,
            Map<String, Object> config) {
        this.task = task;
        this.processor = processor;
        this.latencyMs = latencyMs;
        this.memoryMb = memoryMb;
        this.maxLatencyMs = maxLatencyMs;
        this.config = config;
    }

    /** The task this part runs (an entry of {@link Plan#tasks()}). */
    public String task() {
        return task;
    }

    /** The processor, in lower case ({@code cpu}, {@code gpu}, {@code npu}, {@code dsp}, ...). */
    public String processor() {
        return processor;
    }

    /** The part's own uncontended latency in ms as profiled, or null when unknown. */
    public Double latencyMs() {
        return latencyMs;
    }

    /** The part's memory in MB as profiled, or null when unknown. */
    public Double memoryMb() {
        return memoryMb;
    }

    /**
     * The task's own latency limit on this part ({@code max_latency_ms}: its effective latency,
     * slowed and time-shared, must stay within it), or null when the task has none.
     */
    public Double maxLatencyMs() {
        return maxLatencyMs;
    }

    /**
     * The key columns of the profiled configuration ({@code model}, {@code precision},
     * {@code runtime}, {@code threads}, {@code device}, ... and {@code asset} when the profile
     * table has it). Values are String, Integer, Long, Double, Boolean, null, or nested
     * unmodifiable Map and List. Unmodifiable.
     */
    public Map<String, Object> config() {
        return config;
    }

    /** The model file an app loads for this part ({@code config.asset}), or null. */
    public String asset() {
        Object v = config.get("asset");
        return v instanceof String ? (String) v : null;
    }

    /** A config value as text ({@code String.valueOf} of numbers), or null when absent or null. */
    public String configString(String key) {
        Object v = config.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /** A whole-number config value (such as {@code threads}), or {@code fallback}. */
    public int configInt(String key, int fallback) {
        Object v = config.get(key);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).intValue();
        }
        if (v instanceof Double && ((Double) v) == Math.rint((Double) v)) {
            return ((Double) v).intValue();
        }
        if (v instanceof String) {
            try {
                return Integer.parseInt(((String) v).trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    @Override
    public String toString() {
        return task + "@" + processor + config;
    }
}
