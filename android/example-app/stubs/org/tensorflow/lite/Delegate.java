package org.tensorflow.lite;

/** Compile-only stub of LiteRT's delegate interface (never packed into the APK). */
public interface Delegate extends java.io.Closeable {
    long getNativeHandle();
}
