package kfac4j.tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of JSON a safetensors header needs: objects (keys kept in file order, duplicates rejected), arrays,
 * strings with every escape, integers, and the literals true, false and null. Fractional and exponent numbers are
 * rejected. Values come back as {@code Map<String, Object>}, {@code List<Object>}, {@code String}, {@code Long},
 * {@code Boolean} or {@code null}; a malformed document gives an {@link IllegalArgumentException} naming the
 * character position.
 */
final class Json {
    /** Deeper nesting than this is refused, so a hostile header cannot overflow the stack. */
    private static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that makes up the whole of {@code text} (surrounding whitespace allowed). */
    static Object parse(String text) {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) throw p.error("unexpected " + p.describeNext() + " after the JSON value");
        return value;
    }

    /** {@code s} as a JSON string literal: quotes, backslashes and control characters escaped, the rest as is. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH + " levels");
        if (pos >= text.length()) throw error("unexpected end of input, expected a value");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield integer();
                throw error("unexpected " + describeNext() + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') throw error("unexpected " + describeNext() + ", expected a string key");
            int keyAt = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (map.containsKey(key)) {
                pos = keyAt;
                throw error("duplicate key " + quote(key));
            }
            map.put(key, v);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') return map;
            if (c != ',') {
                pos--;
                throw error("unexpected " + describeNext() + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') return list;
            if (c != ',') {
                pos--;
                throw error("unexpected " + describeNext() + ", expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= text.length()) throw error("unterminated string");
            char c = text.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= text.length()) throw error("unterminated string");
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> b.append(hex4());
                default -> {
                    pos -= 2;
                    throw error("invalid escape \\" + e);
                }
            }
        }
    }

    /** Four hex digits after {@code \\u}; surrogate pairs arrive as two escapes and are appended as they come. */
    private char hex4() {
        if (pos + 4 > text.length()) throw error("truncated \\u escape");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) throw error("invalid \\u escape \\u" + text.substring(pos, pos + 4));
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Long integer() {
        int start = pos;
        if (peek() == '-') pos++;
        int digits = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
        if (pos == digits) throw error("a number needs digits");
        if (text.charAt(digits) == '0' && pos - digits > 1) {
            pos = start;
            throw error("a number may not start with 0");
        }
        if (pos < text.length() && (text.charAt(pos) == '.' || text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos = start;
            throw error("only integers are expected here, found a fractional or exponent number");
        }
        try {
            return Long.parseLong(text, start, pos, 10);
        } catch (NumberFormatException ex) {
            pos = start;
            throw error("integer " + text.substring(start, Math.min(text.length(), start + 40)) + " is out of range");
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) throw error("unexpected " + describeNext() + ", expected a value");
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) throw error("unexpected " + describeNext() + ", expected '" + c + "'");
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private String describeNext() {
        if (pos >= text.length()) return "end of input";
        char c = text.charAt(pos);
        return c < 0x20 || c > 0x7e ? "character U+" + String.format("%04X", (int) c) : "'" + c + "'";
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(problem + " at character " + pos);
    }
}
