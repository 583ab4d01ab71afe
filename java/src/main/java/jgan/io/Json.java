package jgan.io;

import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.ToNumberPolicy;

/**
 * The JSON jgan writes and reads (config.json, metrics.json, checkpoint headers), through Gson:
 * objects keep their key order, numbers read back as Long when integral and Double otherwise
 * (Gson's LONG_OR_DOUBLE policy, as jgan's earlier hand-written reader did, so files written
 * before Gson read the same), NaN and Inf are refused, and duplicate keys or trailing text are
 * errors.
 */
public final class Json {
    private static final Gson WRITER = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();
    private static final Gson READER = new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .setStrictness(Strictness.STRICT).create();

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

    /** Parses one JSON value (the whole text); the error says where it is malformed. */
    public static Object parse(String text) {
        try {
            Object v = READER.fromJson(text, Object.class);
            if (v == null && text.isBlank()) {
                throw new IllegalArgumentException("bad JSON: the text is empty");
            }
            return v;
        } catch (JsonParseException | IllegalStateException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            int see = m.indexOf("\nSee https://");
            m = (see > 0 ? m.substring(0, see) : m).replaceAll("(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error): ", "");
            throw new IllegalArgumentException("bad JSON: " + m, e);
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
