import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Prints test/fixtures/keygroup-golden.json: Java's hash codes, Flink's murmur hash, key groups,
 * operator ranges and default max parallelisms, computed by the JDK itself so the TypeScript port
 * is checked against real Java semantics (String.hashCode over UTF-16, Long.hashCode, ...).
 *
 * The Flink routines below are re-implemented exactly as Flink has them (MathUtils and
 * KeyGroupRangeAssignment in flink-core / flink-runtime), to keep this program dependency free.
 * Deterministic: a fixed seed, so regenerating yields the same file.
 *
 * Run: java scripts/golden/KeyGroupGolden.java > test/fixtures/keygroup-golden.json
 */
public final class KeyGroupGolden {

    static final int[] MAX_PARALLELISMS = {1, 7, 128, 129, 1000, 32768};
    static final int DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 1 << 7;
    static final int UPPER_BOUND_MAX_PARALLELISM = 1 << 15;

    // ---- Flink: org.apache.flink.util.MathUtils ----

    static int murmurHash(int code) {
        code *= 0xcc9e2d51;
        code = Integer.rotateLeft(code, 15);
        code *= 0x1b873593;

        code = Integer.rotateLeft(code, 13);
        code = code * 5 + 0xe6546b64;

        code ^= 4;
        code ^= code >>> 16;
        code *= 0x85ebca6b;
        code ^= code >>> 13;
        code *= 0xc2b2ae35;
        code ^= code >>> 16;

        if (code >= 0) {
            return code;
        } else if (code != Integer.MIN_VALUE) {
            return -code;
        } else {
            return 0;
        }
    }

    static int roundUpToPowerOfTwo(int x) {
        x = x - 1;
        x |= x >> 1;
        x |= x >> 2;
        x |= x >> 4;
        x |= x >> 8;
        x |= x >> 16;
        return x + 1;
    }

    // ---- Flink: org.apache.flink.runtime.state.KeyGroupRangeAssignment ----

    static int computeKeyGroupForKeyHash(int keyHash, int maxParallelism) {
        return murmurHash(keyHash) % maxParallelism;
    }

    static int[] computeKeyGroupRangeForOperatorIndex(int maxParallelism, int parallelism, int operatorIndex) {
        checkParallelismPreconditions(parallelism);
        checkParallelismPreconditions(maxParallelism);
        if (maxParallelism < parallelism) {
            throw new IllegalArgumentException("Maximum parallelism must not be smaller than parallelism.");
        }
        int start = ((operatorIndex * maxParallelism + parallelism - 1) / parallelism);
        int end = ((operatorIndex + 1) * maxParallelism - 1) / parallelism;
        return new int[] {start, end};
    }

    static int computeOperatorIndexForKeyGroup(int maxParallelism, int parallelism, int keyGroupId) {
        return keyGroupId * parallelism / maxParallelism;
    }

    static int computeDefaultMaxParallelism(int operatorParallelism) {
        checkParallelismPreconditions(operatorParallelism);
        return Math.min(
                Math.max(
                        roundUpToPowerOfTwo(operatorParallelism + (operatorParallelism / 2)),
                        DEFAULT_LOWER_BOUND_MAX_PARALLELISM),
                UPPER_BOUND_MAX_PARALLELISM);
    }

    static void checkParallelismPreconditions(int parallelism) {
        if (!(parallelism > 0 && parallelism <= UPPER_BOUND_MAX_PARALLELISM)) {
            throw new IllegalArgumentException("Operator parallelism not within bounds: " + parallelism);
        }
    }

    // ---- The one input whose murmur mix ends at Integer.MIN_VALUE (murmurHash's "return 0" branch) ----

    /** Multiplicative inverse of an odd int modulo 2^32 (Newton's iteration). */
    static int inverse(int a) {
        int x = a;
        for (int i = 0; i < 5; i++) {
            x *= 2 - a * x;
        }
        return x;
    }

    /** Runs murmurHash's mixing steps backwards from {@code mixed}. */
    static int unmix(int y) {
        y ^= y >>> 16;
        y *= inverse(0xc2b2ae35);
        y ^= (y >>> 13) ^ (y >>> 26);
        y *= inverse(0x85ebca6b);
        y ^= y >>> 16;
        y ^= 4;
        y = (y - 0xe6546b64) * inverse(5);
        y = Integer.rotateRight(y, 13);
        y *= inverse(0x1b873593);
        y = Integer.rotateRight(y, 15);
        y *= inverse(0xcc9e2d51);
        return y;
    }

    // ---- Key sets ----

    static List<String> strings(Random random) {
        List<String> out = new ArrayList<>(Arrays.asList(
                "", "a", "b", "A", "user-42", "user-43", "hello world", "Aa", "BB", "AaAa", "BBBB",
                "\u0000", "\u0000\u0000", "\t\n\r", "\"quoted\"", "back\\slash", "\u007f",
                "\u00e9", "e\u0301", "\u00fc\u00f6\u00e4\u00df", "\u00ff", "\u0100", "\u07ff", "\u0800",
                "\u65e5\u672c\u8a9e", "\ud55c\uad6d\uc5b4", "\u0639\u0631\u0628\u064a", "\u05e2\u05d1\u05e8\u05d9\u05ea",
                "\u0440\u0443\u0441\u0441\u043a\u0438\u0439", "\u03a9\u2248\u00e7\u221a", "\ufeff", "\ufffd", "\uffff",
                "\ud83d\ude00", "a\ud83d\ude00b", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67",
                "\ud83c\uddeb\ud83c\uddf7", "\ud800\udc00", "\udbff\udfff", "\ud834\udd1e clef",
                "2147483647", "-2147483648", "9223372036854775807", "0", "-0", "NaN", "null", "true"));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append((char) ('a' + i % 26));
        }
        out.add(sb.toString());
        sb.setLength(0);
        for (int i = 0; i < 700; i++) {
            sb.appendCodePoint(0x1f600 + i % 80);
        }
        out.add(sb.toString());
        while (out.size() < 1200) {
            out.add(randomString(random, random.nextInt(25)));
        }
        return out;
    }

    static String randomString(Random random, int codePoints) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            int kind = random.nextInt(20);
            int cp;
            if (kind < 8) {
                cp = 0x20 + random.nextInt(0x7f - 0x20); // printable ASCII
            } else if (kind < 9) {
                cp = random.nextInt(0x20); // control characters
            } else if (kind < 12) {
                cp = 0x80 + random.nextInt(0x250 - 0x80); // Latin-1, Latin Extended
            } else if (kind < 14) {
                cp = 0x4e00 + random.nextInt(0x9fff - 0x4e00); // CJK
            } else if (kind < 16) {
                // rest of the BMP, skipping the surrogate block
                cp = 0x250 + random.nextInt(0xfffe - 0x250 - 0x800);
                if (cp >= 0xd800) {
                    cp += 0x800;
                }
            } else if (kind < 18) {
                cp = 0x1f300 + random.nextInt(0x1faff - 0x1f300); // emoji
            } else {
                cp = 0x10000 + random.nextInt(0x110000 - 0x10000); // any supplementary code point
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    static List<Integer> ints(Random random) {
        List<Integer> out = new ArrayList<>(Arrays.asList(
                0, 1, -1, 2, -2, 42, 127, 128, -128, 255, 256, 65535, 65536, -65536,
                Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE + 1,
                unmix(Integer.MIN_VALUE), unmix(0)));
        for (int shift = 1; shift < 31; shift++) {
            out.add(1 << shift);
            out.add(-(1 << shift));
        }
        while (out.size() < 600) {
            out.add(random.nextInt(4) == 0 ? random.nextInt(1000) - 500 : random.nextInt());
        }
        return out;
    }

    static List<Long> longs(Random random) {
        List<Long> out = new ArrayList<>(Arrays.asList(
                0L, 1L, -1L, 42L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
                (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE, 1L << 31, 1L << 32, -(1L << 32),
                (1L << 32) - 1, (1L << 53) - 1, 1L << 53, (1L << 53) + 1, -(1L << 53) - 1,
                0x00000001_00000001L, 0xffffffff_00000000L, 0x00000000_ffffffffL, 0x12345678_9abcdef0L));
        for (int shift = 1; shift < 63; shift += 3) {
            out.add(1L << shift);
            out.add(-(1L << shift));
        }
        while (out.size() < 600) {
            out.add(random.nextInt(4) == 0 ? (long) random.nextInt(1000) - 500 : random.nextLong());
        }
        return out;
    }

    static List<Double> doubles(Random random) {
        List<Double> out = new ArrayList<>(Arrays.asList(
                0.0, -0.0, 1.0, -1.0, 0.1, 1.5, -2.75, Math.PI, 1e300, -1e-300,
                Double.MAX_VALUE, Double.MIN_VALUE, Double.MIN_NORMAL, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 9007199254740993.0, 2147483648.0));
        while (out.size() < 200) {
            out.add(random.nextInt(3) == 0
                    ? (double) (random.nextInt(2000) - 1000)
                    : Double.longBitsToDouble(random.nextLong() & 0x7fefffff_ffffffffL) * (random.nextBoolean() ? 1 : -1));
        }
        return out;
    }

    static List<byte[]> byteArrays(Random random) {
        List<byte[]> out = new ArrayList<>(Arrays.asList(
                new byte[0], new byte[] {0}, new byte[] {-1}, new byte[] {127}, new byte[] {-128},
                new byte[] {1, 2, 3}, new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}));
        while (out.size() < 200) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    // ---- JSON output ----

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                // every other UTF-16 code unit escaped, so JSON.parse rebuilds exactly Java's chars
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.append('"').toString();
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    /** One key: its JSON form, its Java hashCode, the murmur hash and the key group per max parallelism. */
    static String entry(String keyJson, int hash) {
        StringBuilder sb = new StringBuilder("    {\"key\": ").append(keyJson)
                .append(", \"hash\": ").append(hash)
                .append(", \"murmur\": ").append(murmurHash(hash))
                .append(", \"keyGroups\": [");
        for (int i = 0; i < MAX_PARALLELISMS.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(computeKeyGroupForKeyHash(hash, MAX_PARALLELISMS[i]));
        }
        return sb.append("]}").toString();
    }

    static void section(StringBuilder out, String name, List<String> rows, boolean last) {
        out.append("  \"").append(name).append("\": [\n");
        out.append(String.join(",\n", rows));
        out.append("\n  ]").append(last ? "\n" : ",\n");
    }

    public static void main(String[] args) {
        int edge = unmix(Integer.MIN_VALUE);
        if (murmurHash(edge) != 0 || edge == unmix(0)) {
            throw new AssertionError("unmix is wrong");
        }

        Random random = new Random(0x5eed_f11dL);
        StringBuilder out = new StringBuilder("{\n");
        out.append("  \"generator\": \"scripts/golden/KeyGroupGolden.java\",\n");
        out.append("  \"javaVersion\": ").append(quote(System.getProperty("java.version"))).append(",\n");
        out.append("  \"maxParallelisms\": ").append(Arrays.toString(MAX_PARALLELISMS)).append(",\n");
        out.append("  \"murmurMinValueInput\": ").append(edge).append(",\n");

        List<String> rows = new ArrayList<>();
        for (String s : strings(random)) {
            rows.add(entry(quote(s), s.hashCode()));
        }
        section(out, "strings", rows, false);

        rows = new ArrayList<>();
        for (int i : ints(random)) {
            rows.add(entry(Integer.toString(i), Integer.hashCode(i)));
        }
        section(out, "ints", rows, false);

        // longs as decimal strings (beyond 2^53 a JSON number would lose digits)
        rows = new ArrayList<>();
        for (long l : longs(random)) {
            rows.add(entry(quote(Long.toString(l)), Long.hashCode(l)));
        }
        section(out, "longs", rows, false);

        // doubles as their raw IEEE bits in hex, so NaN, -0.0 and every digit survive exactly
        rows = new ArrayList<>();
        for (double d : doubles(random)) {
            rows.add(entry(quote(String.format("%016x", Double.doubleToRawLongBits(d))), Double.hashCode(d)));
        }
        section(out, "doubles", rows, false);

        rows = new ArrayList<>();
        rows.add(entry("true", Boolean.hashCode(true)));
        rows.add(entry("false", Boolean.hashCode(false)));
        section(out, "booleans", rows, false);

        rows = new ArrayList<>();
        for (byte[] b : byteArrays(random)) {
            rows.add(entry(quote(hex(b)), Arrays.hashCode(b)));
        }
        section(out, "bytes", rows, false);

        int[][] rangeCombos = {
            {1, 1}, {7, 1}, {7, 3}, {7, 7}, {128, 1}, {128, 3}, {128, 4}, {128, 5}, {128, 128},
            {129, 2}, {129, 10}, {129, 129}, {1000, 7}, {1000, 999}, {32768, 1}, {32768, 3}, {32768, 1000},
        };
        rows = new ArrayList<>();
        for (int[] c : rangeCombos) {
            StringBuilder sb = new StringBuilder("    {\"maxParallelism\": ").append(c[0])
                    .append(", \"parallelism\": ").append(c[1]).append(", \"ranges\": [");
            for (int i = 0; i < c[1]; i++) {
                int[] r = computeKeyGroupRangeForOperatorIndex(c[0], c[1], i);
                sb.append(i == 0 ? "" : ", ").append('[').append(r[0]).append(", ").append(r[1]).append(']');
            }
            rows.add(sb.append("]}").toString());
        }
        section(out, "operatorRanges", rows, false);

        int[][] indexCombos = {{7, 3}, {128, 3}, {129, 10}, {1000, 7}, {32768, 3}, {32768, 1000}};
        rows = new ArrayList<>();
        for (int[] c : indexCombos) {
            StringBuilder sb = new StringBuilder("    {\"maxParallelism\": ").append(c[0])
                    .append(", \"parallelism\": ").append(c[1]).append(", \"keyGroups\": [");
            StringBuilder idx = new StringBuilder();
            // every key group for small max parallelisms, a sample (plus the last one) for 32768
            int step = c[0] > 1000 ? 97 : 1;
            for (int kg = 0; kg < c[0]; kg += step) {
                sb.append(kg == 0 ? "" : ", ").append(kg);
                idx.append(kg == 0 ? "" : ", ").append(computeOperatorIndexForKeyGroup(c[0], c[1], kg));
            }
            if ((c[0] - 1) % step != 0) {
                sb.append(", ").append(c[0] - 1);
                idx.append(", ").append(computeOperatorIndexForKeyGroup(c[0], c[1], c[0] - 1));
            }
            rows.add(sb.append("], \"operatorIndexes\": [").append(idx).append("]}").toString());
        }
        section(out, "operatorIndexes", rows, false);

        int[] parallelisms = {1, 2, 3, 4, 5, 10, 42, 63, 64, 85, 86, 100, 127, 128, 129, 170, 171, 1000,
            10000, 21845, 21846, 32767, 32768};
        rows = new ArrayList<>();
        for (int p : parallelisms) {
            rows.add("    [" + p + ", " + computeDefaultMaxParallelism(p) + "]");
        }
        section(out, "defaultMaxParallelism", rows, true);

        out.append("}\n");
        System.out.print(out);
    }
}
