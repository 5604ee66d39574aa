package carin.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** Reading the shared test data: conformance vectors and the differential cases. */
final class TestFiles {
    private TestFiles() {}

    static File conformanceDir() {
        return new File(System.getProperty("carin.conformance", "../../tests/conformance"));
    }

    /**
     * The differential cases ({@code -Dcarin.differential}; the pom says
     * target/differential.json). .ci/android.sh writes them first; when the file is
     * missing, or older than its generator or the Python switcher it records
     * (carin/runtime/*.py), it is (re)written here by tests/runtime_differential.py
     * ({@code python3}, or {@code -Dcarin.python}), so a plain {@code mvn -o test} runs
     * the whole check on cases of the current code, never on a stale file left in target/.
     */
    static File differentialFile() throws IOException, InterruptedException {
        File file = new File(System.getProperty("carin.differential", "target/differential.json"));
        File root = conformanceDir().getAbsoluteFile().getParentFile();
        File generator = new File(root, "runtime_differential.py");
        if (!file.isFile() || file.lastModified() < newest(generator, new File(root.getParentFile(), "carin/runtime"))) {
            File folder = file.getAbsoluteFile().getParentFile();
            if (!folder.isDirectory() && !folder.mkdirs()) {
                throw new IOException("cannot create " + folder);
            }
            Process run = new ProcessBuilder(System.getProperty("carin.python", "python3"),
                    generator.getPath(), "--out", file.getPath()).inheritIO().start();
            int code = run.waitFor();
            if (code != 0) {
                throw new IOException(generator + " exited with " + code + " writing " + file);
            }
        }
        return file;
    }

    /** The latest modification time of {@code file} and of the .py files in {@code folder}. */
    static long newest(File file, File folder) {
        long t = file.lastModified();
        File[] sources = folder.listFiles();
        if (sources != null) {
            for (File f : sources) {
                if (f.getName().endsWith(".py")) {
                    t = Math.max(t, f.lastModified());
                }
            }
        }
        return t;
    }

    static String text(File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }

    static JSONObject json(File f) throws IOException, JSONException {
        return new JSONObject(text(f));
    }

    static List<File> vectors() {
        File[] files = conformanceDir().listFiles();
        List<File> out = new ArrayList<File>();
        if (files != null) {
            Arrays.sort(files);
            for (File f : files) {
                if (f.getName().endsWith(".json")) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    /**
     * Runs a vector's or a differential case's steps; one {design, meets_slo, fallback, reason,
     * miss probability of every rank} each.
     */
    static List<Object[]> run(Switcher switcher, JSONArray steps) throws JSONException, PlanException {
        return run(switcher, steps, false);
    }

    /**
     * As {@link #run(Switcher, JSONArray)}; condition steps go through {@code selectCached} when
     * {@code cached} or when the step says {@code "cached": true}.
     */
    static List<Object[]> run(Switcher switcher, JSONArray steps, boolean cached) throws JSONException, PlanException {
        List<Object[]> out = new ArrayList<Object[]>();
        for (int i = 0; i < steps.length(); i++) {
            JSONObject step = steps.getJSONObject(i);
            Decision d;
            if (step.has("conditions")) {
                Conditions c = Conditions.fromJson(step.getJSONObject("conditions"));
                d = cached || step.optBoolean("cached", false) ? switcher.selectCached(c) : switcher.select(c);
            } else {
                JSONObject obs = step.getJSONObject("observe");
                String design = obs.isNull("design") ? null : obs.getString("design");
                d = switcher.observe(design, obs.getDouble("latency_ms"));
            }
            out.add(new Object[] {d.designId(), d.meetsSlo(), d.isFallback(), d.reason(), missProbabilities(switcher)});
        }
        return out;
    }

    static double[] missProbabilities(Switcher switcher) {
        double[] out = new double[switcher.plan().designs().size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = switcher.missProbability(r);
        }
        return out;
    }

    static MonitorConfig monitor(JSONObject holder) throws JSONException {
        return holder.has("monitor") ? MonitorConfig.fromJson(holder.getJSONObject("monitor")) : MonitorConfig.DEFAULTS;
    }
}
