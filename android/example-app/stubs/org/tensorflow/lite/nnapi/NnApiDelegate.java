package org.tensorflow.lite.nnapi;

import org.tensorflow.lite.Delegate;

/** Compile-only stub of LiteRT's NNAPI delegate (never packed into the APK). */
public class NnApiDelegate implements Delegate {
    public NnApiDelegate() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    @Override
    public long getNativeHandle() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("compile-only stub");
    }
}
