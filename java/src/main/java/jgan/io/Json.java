package jgan.io;

import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.Strictness;

/**
 * The JSON jgan writes and reads (config.json, metrics.json, checkpoint headers), through Gson:
 * objects keep their key order, numbers read back as Long when integral and Double otherwise
 * (Gson's LONG_OR_DOUBLE policy, as jgan's earlier hand-written reader did, so files written
 * before Gson read the same), NaN and Inf are refused, and duplicate keys or trailing text are
 * errors.
 */
public final class Json {
    private static final Gson WRITER = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

    private Json() {
    }

    /** Pretty-printed, two-space indented, keys in map order, ending in a newline. */
    public static String write(Object value) {
        try {
            return WRITER.toJson(value) + "\n";
        } catch (IllegalArgumentException e) { // NaN or Inf
            throw new IllegalArgumentException("JSON cannot hold " + e.getMessage(), e);
        }
    }

    private static final java.util.regex.Pattern WHERE = java.util.regex.Pattern.compile("line (\\d+) column (\\d+) path (\\S+)");

    /**
     * Parses one JSON value (the whole text, RFC 8259 strictly: no NaN, comments, single quotes or
     * trailing text). Objects keep their key order; a key given twice is an error (not "the last
     * wins"). The error says where, in jgan's words: "bad JSON at line 7 column 11 (field lr_g)".
     */
    public static Object parse(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("bad JSON: the text is empty");
        }
        com.google.gson.stream.JsonReader r = new com.google.gson.stream.JsonReader(new java.io.StringReader(text));
        r.setStrictness(Strictness.STRICT);
        try {
            Object v = value(r);
            if (r.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("bad JSON" + where(r.toString()) + ": text after the end of the value");
            }
            return v;
        } catch (java.io.IOException | IllegalStateException | NumberFormatException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            String what = m.contains("Unterminated") || m.contains("End of input") ? ": the text ends too early" : "";
            throw new IllegalArgumentException("bad JSON" + where(m.isEmpty() ? r.toString() : m) + what, e);
        }
    }

    /** " at line L column C (field F)" from a JsonReader position or message; empty when it names none. */
    private static String where(String gsonText) {
        java.util.regex.Matcher m = WHERE.matcher(gsonText);
        if (!m.find()) {
            return "";
        }
        String path = m.group(3);
        String field = path.equals("$") ? "" : " (field " + (path.startsWith("$.") ? path.substring(2) : path.substring(1)) + ")";
        return " at line " + m.group(1) + " column " + m.group(2) + field;
    }

    private static Object value(com.google.gson.stream.JsonReader r) throws java.io.IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT -> {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                r.beginObject();
                while (r.hasNext()) {
                    String key = r.nextName();
                    if (m.containsKey(key)) {
                        throw new IllegalArgumentException("bad JSON" + where(r.toString()) + ": the key '" + key + "' is given twice");
                    }
                    m.put(key, value(r));
                }
                r.endObject();
                return m;
            }
            case BEGIN_ARRAY -> {
                java.util.List<Object> l = new java.util.ArrayList<>();
                r.beginArray();
                while (r.hasNext()) {
                    l.add(value(r));
                }
                r.endArray();
                return l;
            }
            case STRING -> {
                return r.nextString();
            }
            case NUMBER -> {
                String n = r.nextString();
                try {
                    return Long.parseLong(n);
                } catch (NumberFormatException e) {
                    if (n.matches("-?\\d+")) {
                        return new java.math.BigInteger(n); // an integer past long: kept exact, so the reader can say so
                    }
                    double d = Double.parseDouble(n); // the reader has checked the JSON number syntax
                    if (!Double.isFinite(d)) {
                        throw new IllegalArgumentException("bad JSON" + where(r.toString()) + ": the number " + n + " is out of range");
                    }
                    return d;
                }
            }
            case BOOLEAN -> {
                return r.nextBoolean();
            }
            case NULL -> {
                r.nextNull();
                return null;
            }
            default -> throw new IllegalStateException("unexpected " + r.peek() + r);
        }
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return (Map<String, Object>) v;
    }
}
