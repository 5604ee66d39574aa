package org.tensorflow.lite;

import java.nio.ByteBuffer;

/** Compile-only stub of LiteRT's Interpreter (never packed into the APK). */
public final class Interpreter implements AutoCloseable {
    /** Compile-only stub of Interpreter.Options. */
    public static class Options {
        public Options setNumThreads(int numThreads) {
            throw new UnsupportedOperationException("compile-only stub");
        }

        public Options setUseXNNPACK(boolean useXNNPACK) {
            throw new UnsupportedOperationException("compile-only stub");
        }

        public Options addDelegate(Delegate delegate) {
            throw new UnsupportedOperationException("compile-only stub");
        }
    }

    public Interpreter(ByteBuffer model, Options options) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public Tensor getInputTensor(int index) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public Tensor getOutputTensor(int index) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public void run(Object input, Object output) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("compile-only stub");
    }
}
