package dev.tollgate.testing;

import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.completions.CompletionUsage;
import java.util.Optional;

/** What a client read from a streamed chat completion: the text, and the usage of the last chunk. */
public record StreamedChat(String text, Optional<CompletionUsage> lastUsage) {
  public static StreamedChat read(StreamResponse<ChatCompletionChunk> stream) {
    try (stream) {
      StringBuilder text = new StringBuilder();
      Optional<CompletionUsage> usage = Optional.empty();
      for (ChatCompletionChunk c : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
        c.choices().forEach(choice -> text.append(choice.delta().content().orElse("")));
        usage = c.usage();
      }
      return new StreamedChat(text.toString(), usage);
    }
  }
}
