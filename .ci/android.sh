#!/usr/bin/env bash
# CI for android/: build and test the Java switcher (Maven offline) against the shared
# conformance vectors and 1,000 differential cases written by the Python switcher, check
# that its bytecode dexes for Android (minSdk 21), then build, sign and verify the example
# app's APK. Installs the Debian packages it needs. Called by .ci/run after the test
# suite, with the virtual environment active (the differential cases need carin).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
PYTHON="${CARIN_PYTHON:-python}"  # the venv .ci/run activated
export CARIN_ANDROID_TOOLCHAIN="${CARIN_ANDROID_TOOLCHAIN:-$(cd .. && pwd)/shared/toolchains/android}"
BUILD="$PWD/android/build"

# Debian packages: the APK tools, Android's org.json for the JVM tests, JUnit, Maven, a JDK
missing=()
for pkg in aapt zipalign apksigner dexdump libandroid-json-java junit5; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v mvn >/dev/null || missing+=(maven)
command -v javac >/dev/null || missing+=(default-jdk-headless)
if ((${#missing[@]})); then
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    echo "android: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # wait for the dpkg lock (another CI script may be installing too); update the lists once if needed
    apt=($SUDO apt-get -o DPkg::Lock::Timeout=300 -y -q)
    "${apt[@]}" install "${missing[@]}" >/dev/null ||
        { "${apt[@]}" update >/dev/null && "${apt[@]}" install "${missing[@]}" >/dev/null; }
fi
for f in android-23.jar dx-10.0.0.jar; do
    [[ -f "$CARIN_ANDROID_TOOLCHAIN/$f" ]] || { echo "android: $CARIN_ANDROID_TOOLCHAIN/$f is missing" >&2; exit 1; }
done

rm -rf "$BUILD"
mkdir -p "$BUILD"
"$PYTHON" tests/runtime_differential.py --out "$BUILD/differential.json" --cases 1000 --seed 15
mvn -o -q -B -Dstyle.color=never -f android/carin-runtime/pom.xml -Dcarin.differential="$BUILD/differential.json" clean package
# the library's bytecode must be what dx accepts for Android 5.0 (API 21)
java -jar "$CARIN_ANDROID_TOOLCHAIN/dx-10.0.0.jar" --dex --min-sdk-version=21 \
    --output="$BUILD/carin-runtime.dex" android/carin-runtime/target/classes
echo "android: carin-runtime built, tested and dexed ($(ls android/carin-runtime/target/*.jar))"
android/example-app/build.sh
echo "android: done in $((SECONDS - start)) s"
