// Just enough JSON for this backend: quoting strings, and reading one string field of an object.
package backend;

final class Json {
  private Json() {}

  static String string(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** The string value of `field` in a flat JSON object, or null when absent or not a string. */
  static String stringField(String json, String field) {
    int i = skip(json, 0);
    if (i >= json.length() || json.charAt(i) != '{') return null;
    i = skip(json, i + 1);
    while (i < json.length() && json.charAt(i) == '"') {
      StringBuilder key = new StringBuilder();
      i = readString(json, i, key);
      if (i < 0) return null;
      i = skip(json, i);
      if (i >= json.length() || json.charAt(i) != ':') return null;
      i = skip(json, i + 1);
      if (i < json.length() && json.charAt(i) == '"') {
        StringBuilder value = new StringBuilder();
        i = readString(json, i, value);
        if (i < 0) return null;
        if (key.toString().equals(field)) return value.toString();
      } else {
        // Numbers, true/false/null: skip to the next comma or the end (nested values are not expected).
        while (i < json.length() && json.charAt(i) != ',' && json.charAt(i) != '}') i++;
      }
      i = skip(json, i);
      if (i < json.length() && json.charAt(i) == ',') i = skip(json, i + 1);
    }
    return null;
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    return i;
  }

  /** Reads the string starting at the quote at i into out; the index after it, or -1 if malformed. */
  private static int readString(String s, int i, StringBuilder out) {
    for (i++; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') return i + 1;
      if (c != '\\') { out.append(c); continue; }
      if (++i >= s.length()) return -1;
      char e = s.charAt(i);
      switch (e) {
        case 'n': out.append('\n'); break;
        case 't': out.append('\t'); break;
        case 'r': out.append('\r'); break;
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'u':
          if (i + 4 >= s.length()) return -1;
          try { out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); } catch (NumberFormatException x) { return -1; }
          i += 4;
          break;
        default: out.append(e);
      }
    }
    return -1;
  }
}
