package carin.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;
import org.json.JSONTokener;

/**
 * A validated {@code carin-plan/1} plan (see {@code docs/plan-format.md}).
 *
 * <p>{@link #parse}, {@link #read} and {@link #fromJson} check the plan with the rules of
 * Python's {@code carin.runtime.validate_plan}, in the same order, and throw a {@link
 * PlanException} naming the first offending field with the same path. Whether the plan's
 * {@code conditions} table agrees with the switcher is checked when a {@link Switcher} is built.
 * Immutable and thread-safe.
 */
public final class Plan {
    /** The only format this reader accepts. */
    public static final String FORMAT = "carin-plan/1";

    /**
     * Largest plan {@link #read(InputStream)} accepts, in bytes: 16 MiB, as Python's {@code
     * carin.runtime.MAX_FILE_BYTES} (a plan of the example specs is a few KB).
     */
    public static final int MAX_BYTES = 16 * 1024 * 1024;

    static final String[] AGGREGATES = {"max", "sum", "mean", "min"};

    private final String name;
    private final List<Objective> objectives;
    private final String preference;
    private final List<String> tasks;
    private final List<Design> designs;
    private final Map<String, Integer> ids;
    private final int fallback;
    final String latencyMetric;
    final String latencyAggregate;
    final boolean timeShare;
    final String memoryMetric;
    final String memoryAggregate;
    final String[] constraintMetric;
    final boolean[] constraintAtMost;
    final double[] constraintValue;
    final List<Conditions> entryWhen;
    final List<String> entryDesign;
    /** The plan's {@code decimals}: metric column -> places (empty when it has none). */
    final Map<String, Integer> decimals;

    private Plan(JSONObject plan) throws PlanException {
        Object fmt = Json.required(plan, "format", "");
        if (!FORMAT.equals(fmt)) {
            throw Json.fail("format", "expected '" + FORMAT + "', got " + Json.show(fmt));
        }
        name = Json.str(Json.required(plan, "name", ""), "name");
        JSONArray objectiveList = Json.list(Json.required(plan, "objectives", ""), "objectives", false);
        List<Objective> goals = new ArrayList<Objective>();
        for (int i = 0; i < objectiveList.length(); i++) {
            String where = "objectives[" + i + "]";
            JSONObject o = Json.obj(objectiveList.opt(i), where);
            String metric = Json.str(Json.required(o, "metric", where), where + ".metric");
            String goal = Json.choice(Json.required(o, "goal", where), where + ".goal", "min", "max");
            // optional: the ranking's tolerance (absent or null = none, as in plans before it)
            Double tolerance = Json.num(o.opt("tolerance"), where + ".tolerance", true, true, 0.0, false);
            // optional: the weight of a weighted ranking (absent or null = none given)
            Double weight = Json.num(o.opt("weight"), where + ".weight", true, true, Double.NaN, true);
            goals.add(new Objective(metric, goal.equals("max"), tolerance, weight));
        }
        objectives = Collections.unmodifiableList(goals);
        // optional: how the designs were ranked (absent or null = not recorded, as in older plans)
        Object ranking = plan.opt("preference");
        preference = Json.isNull(ranking) ? null
                : Json.choice(ranking, "preference", "lexicographic", "weighted");
        // weights belong to a weighted ranking, and a weighted ranking has one per objective
        for (int i = 0; i < goals.size(); i++) {
            boolean weighted = "weighted".equals(preference);
            boolean hasWeight = goals.get(i).weight() != null;
            if (hasWeight && !weighted) {
                throw Json.fail("objectives[" + i + "].weight",
                        "a weight belongs to a weighted ranking; the plan's preference is "
                                + (preference == null ? "None" : "'" + preference + "'"));
            }
            if (!hasWeight && weighted) {
                throw Json.fail("objectives[" + i + "].weight",
                        "missing; a weighted ranking gives every objective a weight");
            }
        }
        JSONArray constraints = Json.list(Json.required(plan, "constraints", ""), "constraints", false);
        int nc = constraints.length();
        constraintMetric = new String[nc];
        constraintAtMost = new boolean[nc];
        constraintValue = new double[nc];
        for (int i = 0; i < nc; i++) {
            String where = "constraints[" + i + "]";
            JSONObject c = Json.obj(constraints.opt(i), where);
            constraintMetric[i] = Json.str(Json.required(c, "metric", where), where + ".metric");
            constraintAtMost[i] = Json.choice(Json.required(c, "op", where), where + ".op", "<=", ">=").equals("<=");
            constraintValue[i] = Json.number(Json.required(c, "value", where), where + ".value");
        }
        JSONObject latency = Json.obj(Json.required(plan, "latency", ""), "latency");
        latencyMetric = Json.str(Json.required(latency, "metric", "latency"), "latency.metric");
        latencyAggregate = Json.choice(Json.required(latency, "aggregate", "latency"), "latency.aggregate", AGGREGATES);
        timeShare = Json.choice(Json.required(latency, "contention", "latency"), "latency.contention", "time-share", "none")
                .equals("time-share");
        JSONObject memory = Json.obj(Json.required(plan, "memory", ""), "memory");
        memoryMetric = Json.str(Json.required(memory, "metric", "memory"), "memory.metric");
        memoryAggregate = Json.choice(Json.required(memory, "aggregate", "memory"), "memory.aggregate", AGGREGATES);
        Map<String, Integer> places = new java.util.TreeMap<String, Integer>();
        if (plan.has("decimals")) {
            JSONObject given = Json.obj(plan.opt("decimals"), "decimals");
            java.util.TreeSet<String> columns = new java.util.TreeSet<String>();
            for (Iterator<String> it = given.keys(); it.hasNext(); ) {
                columns.add(it.next());
            }
            for (String column : columns) {
                Object v = given.opt(column);
                if (!(v instanceof Integer) || (Integer) v < 0 || (Integer) v > Exact.MAX_DECIMALS) {
                    throw Json.fail("decimals." + column, "expected an integer from 0 to " + Exact.MAX_DECIMALS
                            + ", got " + Json.show(v));
                }
                places.put(column, (Integer) v);
            }
        }
        decimals = Collections.unmodifiableMap(places);
        JSONArray taskList = Json.list(Json.required(plan, "tasks", ""), "tasks", true);
        List<String> taskNames = new ArrayList<String>();
        for (int i = 0; i < taskList.length(); i++) {
            taskNames.add(Json.str(taskList.opt(i), "tasks[" + i + "]"));
        }
        if (new HashSet<String>(taskNames).size() != taskNames.size()) {
            throw Json.fail("tasks", "expected unique task names");
        }
        tasks = Collections.unmodifiableList(taskNames);
        JSONArray designList = Json.list(Json.required(plan, "designs", ""), "designs", true);
        List<Design> out = new ArrayList<Design>();
        Map<String, Integer> idMap = new HashMap<String, Integer>();
        for (int rank = 0; rank < designList.length(); rank++) {
            Design d = design(designList.opt(rank), "designs[" + rank + "]", rank);
            if (idMap.containsKey(d.id())) {
                throw Json.fail("designs[" + rank + "].id", "duplicate id " + Json.repr(d.id()));
            }
            idMap.put(d.id(), rank);
            out.add(d);
        }
        designs = Collections.unmodifiableList(out);
        ids = idMap;
        String primary = Json.str(Json.required(plan, "primary", ""), "primary");
        if (!ids.containsKey(primary)) {
            throw Json.fail("primary", "unknown design id " + Json.repr(primary));
        }
        if (!primary.equals(designs.get(0).id())) {
            throw Json.fail("primary", "expected " + Json.repr(designs.get(0).id()) + ", the rank-0 design, got "
                    + Json.repr(primary));
        }
        Object fb = Json.required(plan, "fallback", "");
        if (Json.isNull(fb)) {
            fallback = -1;
        } else {
            String id = Json.str(fb, "fallback");
            if (!ids.containsKey(id)) {
                throw Json.fail("fallback", "unknown design id " + Json.repr(id));
            }
            fallback = ids.get(id);
            Set<String> others = new java.util.TreeSet<String>();
            for (Part p : designs.get(fallback).parts()) {
                if (!p.processor().equals("cpu")) {
                    others.add(p.processor());
                }
            }
            if (!others.isEmpty()) {
                throw Json.fail("fallback", "design " + Json.repr(id) + " runs on " + Json.joined(others.toArray(new String[0]))
                        + "; the fallback must run on the cpu only");
            }
        }
        JSONArray entries = Json.list(Json.required(plan, "conditions", ""), "conditions", false);
        List<Conditions> whens = new ArrayList<Conditions>();
        List<String> wanted = new ArrayList<String>();
        for (int i = 0; i < entries.length(); i++) {
            String where = "conditions[" + i + "]";
            JSONObject entry = Json.obj(entries.opt(i), where);
            whens.add(Conditions.read(Json.required(entry, "when", where), where + ".when", true));
            Object d = Json.required(entry, "design", where);
            if (Json.isNull(d)) {
                wanted.add(null);
            } else {
                String id = Json.str(d, where + ".design");
                if (!ids.containsKey(id)) {
                    throw Json.fail(where + ".design", "unknown design id " + Json.repr(id));
                }
                wanted.add(id);
            }
        }
        entryWhen = Collections.unmodifiableList(whens);
        entryDesign = Collections.unmodifiableList(wanted);
    }

    private Design design(Object value, String where, int rank) throws PlanException {
        JSONObject d = Json.obj(value, where);
        String id = Json.str(Json.required(d, "id", where), where + ".id");
        Object gotRank = Json.required(d, "rank", where);
        if (!(gotRank instanceof Integer || gotRank instanceof Long || gotRank instanceof java.math.BigInteger)) {
            throw Json.fail(where + ".rank", "expected an integer");
        }
        if (!(gotRank instanceof Integer) || (Integer) gotRank != rank) {
            throw Json.fail(where + ".rank", "expected " + rank + " (designs are listed best first)");
        }
        Object pareto = Json.required(d, "pareto", where);
        if (!(pareto instanceof Boolean)) {
            throw Json.fail(where + ".pareto", "expected true or false");
        }
        JSONArray partList = Json.list(Json.required(d, "parts", where), where + ".parts", true);
        if (partList.length() != tasks.size()) {
            throw Json.fail(where + ".parts", "expected " + tasks.size() + " parts, one per task");
        }
        List<Part> parts = new ArrayList<Part>();
        for (int i = 0; i < partList.length(); i++) {
            parts.add(part(partList.opt(i), where + ".parts[" + i + "]", tasks.get(i)));
        }
        String at = where + ".metrics";
        JSONObject metricObj = Json.obj(Json.required(d, "metrics", where), at);
        Map<String, Double> metrics = new LinkedHashMap<String, Double>();
        Iterator<String> keys = metricObj.keys();
        while (keys.hasNext()) {
            String key = keys.next();
            double minimum = key.equals(memoryMetric) ? 0.0 : Double.NaN;
            metrics.put(key, Json.num(metricObj.opt(key), at + "." + key, true, true, minimum, key.equals(latencyMetric)));
        }
        double[] band = null;
        if (d.has("power_band_mw")) {
            String here = where + ".power_band_mw";
            JSONArray b = Json.list(d.opt("power_band_mw"), here, false);
            if (b.length() != 2) {
                throw Json.fail(here, "expected [lo, hi]");
            }
            double lo = Json.number(b.opt(0), here + "[0]");
            Double hi = Json.num(b.opt(1), here + "[1]", true, true, Double.NaN, false);
            if (hi != null && !(hi >= lo)) {
                throw Json.fail(here, "expected lo <= hi");
            }
            band = new double[] {lo, hi == null ? Double.POSITIVE_INFINITY : hi};
        }
        return new Design(id, rank, (Boolean) pareto, Collections.unmodifiableList(parts),
                Collections.unmodifiableMap(metrics), band);
    }

    private static Part part(Object value, String where, String task) throws PlanException {
        JSONObject p = Json.obj(value, where);
        String got = Json.str(Json.required(p, "task", where), where + ".task");
        if (!got.equals(task)) {
            throw Json.fail(where + ".task", "expected " + Json.repr(task) + " (parts follow the order of tasks)");
        }
        String processor = Json.str(Json.required(p, "processor", where), where + ".processor");
        Double latency = Json.num(Json.required(p, "latency_ms", where), where + ".latency_ms", true, true, Double.NaN, true);
        Double memory = Json.num(Json.required(p, "memory_mb", where), where + ".memory_mb", true, true, 0.0, false);
        Double maxLatency = Json.num(p.opt("max_latency_ms"), where + ".max_latency_ms", true, true, Double.NaN, false);
        Map<String, Object> config = Collections.emptyMap();
        if (p.has("config")) {
            JSONObject c = Json.obj(p.opt("config"), where + ".config");
            if (c.has("asset")) {
                Json.str(c.opt("asset"), where + ".config.asset");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> plain = (Map<String, Object>) Json.plain(c);
            config = plain;
        }
        return new Part(got, processor.toLowerCase(Locale.ROOT), latency, memory, maxLatency, config);
    }

    /**
     * Parse and validate a plan from JSON text.
     *
     * @throws PlanException when the text is not a JSON object ({@code plan: not valid JSON ...})
     *     or the plan is malformed
     */
    public static Plan parse(String text) throws PlanException {
        Object value;
        try {
            value = new JSONTokener(text).nextValue();
        } catch (JSONException e) {
            throw Json.fail("plan", "not valid JSON (" + e.getMessage() + ")");
        } catch (StackOverflowError e) {
            throw Json.fail("plan", "not valid JSON (nested too deeply)");
        }
        return fromJson(Json.obj(value, "plan"));
    }

    /**
     * Read (UTF-8), parse and validate a plan of at most {@link #MAX_BYTES} (16 MiB); the stream
     * is not closed. See {@link #read(InputStream, int)}.
     */
    public static Plan read(InputStream in) throws IOException, PlanException {
        return read(in, MAX_BYTES);
    }

    /**
     * Read (UTF-8), parse and validate a plan of at most {@code maxBytes} bytes; the stream is not
     * closed.
     *
     * <p>At most {@code maxBytes + 1} bytes are read, so a stream that never ends or a file far
     * larger than any plan (an asset packed by mistake) is refused without being read whole.
     *
     * @throws PlanException with field {@code plan} when the stream holds more than {@code
     *     maxBytes} bytes or is not UTF-8 text (naming the first byte that is not), and as {@link
     *     #parse} for the text
     * @throws IOException when reading the stream fails
     * @throws IllegalArgumentException when {@code maxBytes} is negative
     */
    public static Plan read(InputStream in, int maxBytes) throws IOException, PlanException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, got " + maxBytes);
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        long total = 0;
        while (true) {
            // never more than one byte past the cap: enough to tell that the stream is larger
            int want = (int) Math.min(chunk.length, maxBytes + 1L - total);
            int n = in.read(chunk, 0, want);
            if (n == -1) {
                break;
            }
            total += n;
            if (total > maxBytes) {
                throw Json.fail("plan", "more than " + grouped(maxBytes) + " bytes; a plan may have at most "
                        + grouped(maxBytes));
            }
            buffer.write(chunk, 0, n);
        }
        return parse(utf8(buffer.toByteArray()));
    }

    /** The bytes as UTF-8 text, refusing other encodings as the Python runtime does. */
    static String utf8(byte[] data) throws PlanException {
        if (data.length >= 2 && ((data[0] == (byte) 0xFF && data[1] == (byte) 0xFE)
                || (data[0] == (byte) 0xFE && data[1] == (byte) 0xFF))) {
            throw Json.fail("plan", "the plan is UTF-16-encoded; save it as UTF-8");
        }
        int start = data.length >= 3 && data[0] == (byte) 0xEF && data[1] == (byte) 0xBB && data[2] == (byte) 0xBF
                ? 3 : 0; // a UTF-8 byte-order mark is dropped
        CharsetDecoder decoder = Charset.forName("UTF-8").newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(data, start, data.length - start);
        CharBuffer chars = CharBuffer.allocate(data.length - start); // UTF-8: no more chars than bytes
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            int at = bytes.position();
            throw Json.fail("plan", "not UTF-8 text (byte 0x" + String.format(Locale.ROOT, "%02x", data[at] & 0xFF)
                    + " at offset " + (at - start) + "; Latin-1 or another encoding?); save the plan as UTF-8");
        }
        chars.flip();
        return chars.toString();
    }

    private static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Validate a decoded plan. */
    public static Plan fromJson(JSONObject plan) throws PlanException {
        if (plan == null) {
            throw Json.fail("plan", "expected an object");
        }
        return new Plan(plan);
    }

    /** The spec's name. */
    public String name() {
        return name;
    }

    /**
     * The objectives in the spec's priority order, with the tolerances of the ranking that put
     * the designs in their order (and so chose the primary). Unmodifiable.
     */
    public List<Objective> objectives() {
        return objectives;
    }

    /**
     * How the designs were ranked: {@code "lexicographic"} (by the first objective, ties by the
     * next, with the objectives' tolerances) or {@code "weighted"} (a weighted sum of the
     * objectives' normalised costs, {@link Objective#weight()}); null when the plan does not
     * record it (plans written before the field).
     */
    public String preference() {
        return preference;
    }

    /** Task names; one ({@code main}) for a single-DNN plan. Unmodifiable. */
    public List<String> tasks() {
        return tasks;
    }

    /** Every design, best-ranked first. Unmodifiable. */
    public List<Design> designs() {
        return designs;
    }

    /** The design with this id, or null. */
    public Design design(String id) {
        Integer rank = ids.get(id);
        return rank == null ? null : designs.get(rank);
    }

    /** The rank of the design with this id, or -1. */
    int rankOf(String id) {
        Integer rank = id == null ? null : ids.get(id);
        return rank == null ? -1 : rank;
    }

    /** The design to start with (always rank 0). */
    public Design primary() {
        return designs.get(0);
    }

    /** The declared CPU-only fallback, or null when the plan has none. */
    public Design fallback() {
        return fallback < 0 ? null : designs.get(fallback);
    }

    int fallbackRank() {
        return fallback;
    }

    /** The latency limit the plan's constraints set on the app ({@code +Infinity} if none). */
    public double latencyLimitMs() {
        double limit = Double.POSITIVE_INFINITY;
        for (int i = 0; i < constraintMetric.length; i++) {
            if (constraintAtMost[i] && constraintMetric[i].equals(latencyMetric)) {
                limit = Math.min(limit, constraintValue[i]);
            }
        }
        return limit;
    }

    @Override
    public String toString() {
        return "Plan(" + name + ", " + designs.size() + " designs)";
    }
}
