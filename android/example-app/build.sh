#!/usr/bin/env bash
# Build the example app into a signed, verified APK without Gradle:
#   aapt (R.java) -> javac against android-23.jar (LiteRT stubs on the classpath only)
#   -> dx (classes.dex, minSdk 21) -> aapt package (resources, assets: plan.json and the
#   models it names, stored uncompressed) -> zipalign -> apksigner sign (a throwaway key)
#   -> apksigner verify -> checks with aapt dump badging, dexdump and unzip.
# Needs: JDK (javac, keytool), Debian's aapt zipalign apksigner dexdump, and
# CARIN_ANDROID_TOOLCHAIN (default ../shared/toolchains/android) holding android-23.jar and
# dx-10.0.0.jar. Writes android/example-app/build/carin-example.apk.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TOOLCHAIN="${CARIN_ANDROID_TOOLCHAIN:-$(cd "$ROOT/.." && pwd)/shared/toolchains/android}"
ANDROID_JAR="$TOOLCHAIN/android-23.jar"
DX="$TOOLCHAIN/dx-10.0.0.jar"
OUT="$HERE/build"
PACKAGE=carin.example
JAVAC=(javac -source 8 -target 8 -bootclasspath "$ANDROID_JAR" -encoding UTF-8 -Xlint:all -Xlint:-options -Werror)

rm -rf "$OUT"
mkdir -p "$OUT/gen" "$OUT/stubs" "$OUT/classes" "$OUT/test" "$OUT/dex" "$OUT/assets/models"

# assets: the plan and every model file it names (config.asset), from tests/fixtures/models
cp "$HERE/assets/plan.json" "$OUT/assets/plan.json"
python3 - "$OUT/assets/plan.json" > "$OUT/assets.txt" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1], encoding="utf-8"))
names = sorted({p["config"]["asset"] for d in plan["designs"] for p in d["parts"] if "asset" in p.get("config", {})})
if not names:
    sys.exit("plan.json: no design names a model file (config.asset)")
print("\n".join(names))
PY
while read -r asset; do
    [[ "$asset" == models/* ]] || { echo "build.sh: asset $asset is not under models/" >&2; exit 1; }
    cp "$ROOT/tests/fixtures/models/${asset#models/}" "$OUT/assets/$asset"
done < "$OUT/assets.txt"

# R.java, then the app, carin-runtime (as source: compiled against API 23 here) and the stubs
aapt package -f -m -J "$OUT/gen" -M "$HERE/AndroidManifest.xml" -S "$HERE/res" -I "$ANDROID_JAR"
"${JAVAC[@]}" -d "$OUT/stubs" $(find "$HERE/stubs" -name '*.java')
"${JAVAC[@]}" -classpath "$OUT/stubs" -d "$OUT/classes" \
    $(find "$HERE/src" "$ROOT/android/carin-runtime/src/main/java" "$OUT/gen" -name '*.java')
# only the app and carin-runtime are dexed: the stubs stay out (org.json is Android's own)
java -jar "$DX" --dex --min-sdk-version=21 --output="$OUT/dex/classes.dex" "$OUT/classes"

aapt package -f -M "$HERE/AndroidManifest.xml" -S "$HERE/res" -A "$OUT/assets" -I "$ANDROID_JAR" \
    -0 tflite -F "$OUT/unaligned.apk"
(cd "$OUT/dex" && aapt add "$OUT/unaligned.apk" classes.dex >/dev/null)
zipalign -f -p 4 "$OUT/unaligned.apk" "$OUT/aligned.apk"

# a throwaway key, made for this build only (never use it to publish)
PASS="throwaway-$RANDOM$RANDOM"
keytool -genkeypair -keystore "$OUT/throwaway.p12" -storetype PKCS12 -storepass "$PASS" \
    -alias throwaway -keyalg RSA -keysize 2048 -validity 1 -dname "CN=carin example throwaway key" \
    >/dev/null 2>&1
apksigner sign --ks "$OUT/throwaway.p12" --ks-pass "pass:$PASS" --ks-key-alias throwaway \
    --out "$OUT/carin-example.apk" "$OUT/aligned.apk"
rm -f "$OUT/throwaway.p12" "$OUT/unaligned.apk" "$OUT/aligned.apk" "$OUT"/*.idsig
apksigner verify --verbose --min-sdk-version 21 "$OUT/carin-example.apk" > "$OUT/verify.txt"
grep -q "^Verified using v2 scheme (APK Signature Scheme v2): true$" "$OUT/verify.txt" ||
    { cat "$OUT/verify.txt" >&2; echo "build.sh: no v2 signature" >&2; exit 1; }
zipalign -c -p 4 "$OUT/carin-example.apk"

# the app's signal mapping, run on the JVM against the shipped plan (Signals uses only
# compile-time constants of the Android API)
"${JAVAC[@]}" -classpath "$OUT/classes" -d "$OUT/test" $(find "$HERE/test" -name '*.java')
java -cp "$OUT/test:$OUT/classes:${ANDROID_JSON_JAR:-/usr/share/java/com.android.json.jar}" \
    carin.example.SignalsCheck "$HERE/assets/plan.json"

# what the APK must be
fail() { echo "build.sh: $*" >&2; exit 1; }
aapt dump badging "$OUT/carin-example.apk" > "$OUT/badging.txt"
grep -q "^package: name='$PACKAGE' " "$OUT/badging.txt" || fail "package is not $PACKAGE"
grep -q "^sdkVersion:'21'$" "$OUT/badging.txt" || fail "minSdkVersion is not 21"
grep -q "^targetSdkVersion:'23'$" "$OUT/badging.txt" || fail "targetSdkVersion is not 23"
grep -q "^launchable-activity: name='$PACKAGE.MainActivity'" "$OUT/badging.txt" || fail "no launchable MainActivity"
dexdump "$OUT/dex/classes.dex" | sed -n "s/^  Class descriptor *: '\(.*\)'$/\1/p" > "$OUT/classes.txt"
grep -q '^Lcarin/runtime/Switcher;$' "$OUT/classes.txt" || fail "carin-runtime is not in classes.dex"
grep -q '^Lcarin/example/MainActivity;$' "$OUT/classes.txt" || fail "the app is not in classes.dex"
if grep -q '^Lorg/tensorflow/' "$OUT/classes.txt"; then fail "LiteRT stubs were packed into the APK"; fi
if grep -q '^Lorg/json/' "$OUT/classes.txt"; then fail "org.json was packed (Android ships it)"; fi
unzip -l "$OUT/carin-example.apk" > "$OUT/contents.txt"
for f in classes.dex AndroidManifest.xml resources.arsc assets/plan.json $(cat "$OUT/assets.txt" | sed 's|^|assets/|'); do
    grep -q " $f$" "$OUT/contents.txt" || fail "$f is missing from the APK"
done
unzip -v "$OUT/carin-example.apk" | grep '\.tflite$' | grep -qv ' Stored ' && fail "a .tflite asset is compressed (cannot be memory-mapped)"
echo "build.sh: $OUT/carin-example.apk ($(stat -c %s "$OUT/carin-example.apk") bytes, $(wc -l < "$OUT/classes.txt") classes, $(wc -l < "$OUT/assets.txt") models), signed and verified"
