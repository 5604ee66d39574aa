package org.tensorflow.lite;

/** Compile-only stub of LiteRT's Tensor (never packed into the APK). */
public final class Tensor {
    private Tensor() {}

    public int[] shape() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public int numBytes() {
        throw new UnsupportedOperationException("compile-only stub");
    }
}
