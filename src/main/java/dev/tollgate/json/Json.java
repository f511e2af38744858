package dev.tollgate.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** The one shared Jackson mapper, and the few conversions between Vert.x buffers and JSON trees. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static JsonNode parse(Buffer bytes) throws IOException {
    return MAPPER.readTree(bytes.getBytes());
  }

  /** Parses, or returns null for anything that is not JSON. */
  public static JsonNode tryParse(Buffer bytes) {
    if (bytes == null || bytes.length() == 0) {
      return null;
    }
    try {
      return parse(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  /** Whether the bytes are one well-formed JSON object, checked token by token without building a tree. */
  public static boolean isObject(Buffer bytes) {
    try (var parser = MAPPER.createParser(bytes.getBytes())) {
      if (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  public static Buffer buffer(JsonNode node) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("JSON tree could not be written", e);
    }
  }
}
