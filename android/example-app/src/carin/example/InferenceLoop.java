package carin.example;

import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import android.os.SystemClock;
import android.util.Log;
import carin.runtime.Decision;
import carin.runtime.Design;
import carin.runtime.Part;
import carin.runtime.Switcher;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import org.tensorflow.lite.Delegate;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.gpu.GpuDelegate;
import org.tensorflow.lite.nnapi.NnApiDelegate;

/**
 * Runs the selected design with LiteRT on its own thread and feeds every measured latency
 * to the drift monitor.
 *
 * <p>Each frame: take the switcher's current decision; when its design differs from the
 * loaded one, build an interpreter as the design says (model file {@code config.asset},
 * {@code config.threads}, and the processor: {@code xnnpack} = XNNPACK on the CPU, {@code cpu}
 * = LiteRT's built-in kernels, {@code gpu} = the GPU delegate, {@code npu}/{@code dsp} = the
 * NNAPI delegate); if the delegate or interpreter cannot be created, report the processor as
 * unavailable and take the new decision. Then run one inference, time it and call {@link
 * Switcher#observe}. The example plan has one task, so a design has one part; an app with
 * several tasks keeps one interpreter per part.
 */
final class InferenceLoop implements Runnable {
    private static final String TAG = "carin";

    /** Receives a status line now and then (on the inference thread). */
    interface Status {
        void show(String line);
    }

    private final AssetManager assets;
    private final Switcher switcher;
    private final Signals signals;
    private final Status status;
    private volatile boolean running = true;
    private Thread thread;

    private Design loaded;
    private Interpreter interpreter;
    private Delegate delegate;
    private ByteBuffer input;
    private ByteBuffer output;

    InferenceLoop(AssetManager assets, Switcher switcher, Signals signals, Status status) {
        this.assets = assets;
        this.switcher = switcher;
        this.signals = signals;
        this.status = status;
    }

    void start() {
        thread = new Thread(this, "carin-inference");
        thread.start();
    }

    void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join();
        }
    }

    @Override
    public void run() {
        long frames = 0;
        try {
            while (running) {
                signals.tick(SystemClock.elapsedRealtime());
                Decision decision = switcher.current();
                Design design = decision == null ? null : decision.design();
                if (design == null) { // nothing to run: no fallback and nothing feasible
                    SystemClock.sleep(100);
                    continue;
                }
                if (design != loaded && !load(design)) {
                    continue; // the failure became a condition; the next frame takes the new decision
                }
                long start = SystemClock.elapsedRealtimeNanos();
                interpreter.run(input, output);
                double ms = (SystemClock.elapsedRealtimeNanos() - start) / 1e6;
                Decision after = switcher.observe(design.id(), ms);
                if (++frames % 100 == 0) {
                    status.show(String.format(java.util.Locale.ROOT, "frame %d: %s %.3f ms%s", frames,
                            design.id(), ms, after.meetsSlo() ? "" : " (fallback: no design meets the SLOs)"));
                }
            }
        } finally {
            unload();
        }
    }

    /** Build the interpreter of {@code design}; false (and the processor reported) on failure. */
    private boolean load(Design design) {
        unload();
        Part part = design.part();
        String processor = part.processor();
        try {
            Interpreter.Options options = new Interpreter.Options();
            int threads = part.configInt("threads", 0);
            if (threads > 0) {
                options.setNumThreads(threads);
            }
            if (processor.equals("xnnpack")) {
                options.setUseXNNPACK(true);
            } else if (processor.equals("cpu")) {
                options.setUseXNNPACK(false);
            } else if (processor.equals("gpu")) {
                delegate = new GpuDelegate();
                options.addDelegate(delegate);
            } else if (processor.equals("npu") || processor.equals("dsp")) {
                delegate = new NnApiDelegate();
                options.addDelegate(delegate);
            }
            interpreter = new Interpreter(map(part.asset()), options);
            input = ByteBuffer.allocateDirect(interpreter.getInputTensor(0).numBytes()).order(ByteOrder.nativeOrder());
            output = ByteBuffer.allocateDirect(interpreter.getOutputTensor(0).numBytes()).order(ByteOrder.nativeOrder());
            loaded = design;
            Log.i(TAG, "running " + design.id() + " (" + part.asset() + " on " + processor + ")");
            return true;
        } catch (RuntimeException | IOException e) {
            Log.w(TAG, "cannot run " + design.id() + " on " + processor + ": " + e);
            unload();
            signals.onProcessorFailed(processor);
            return false;
        }
    }

    private void unload() {
        if (interpreter != null) {
            interpreter.close();
        }
        if (delegate != null) {
            try {
                delegate.close();
            } catch (IOException | RuntimeException e) {
                Log.w(TAG, "closing the delegate: " + e);
            }
        }
        interpreter = null;
        delegate = null;
        loaded = null;
    }

    /** The model file, memory-mapped from the APK (build.sh stores .tflite uncompressed). */
    private MappedByteBuffer map(String asset) throws IOException {
        if (asset == null) {
            throw new IOException("the plan names no asset (config.asset) for this design");
        }
        AssetFileDescriptor fd = assets.openFd(asset);
        try {
            FileInputStream in = fd.createInputStream();
            try {
                FileChannel channel = in.getChannel();
                return channel.map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
            } finally {
                in.close();
            }
        } finally {
            fd.close();
        }
    }
}
