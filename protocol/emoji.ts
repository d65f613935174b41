// What counts as a reaction (issue 15, item 5): one emoji, as Unicode writes it — a pictograph with an
// optional presentation selector and skin tone, a flag (two regional indicators), a keycap, a tag
// sequence (subdivision flags), or up to four of those joined by ZERO WIDTH JOINER (families, "❤️‍🔥").
// Anything else — words, URLs ("visit-evil.example/free"), several emoji in a row — is refused, so a
// reaction cannot carry text and one agent cannot mint 40 "different emoji" for one message.
// Built on \p{Extended_Pictographic} with the `u` flag (no `v`-flag \p{RGI_Emoji}), so the same check
// runs in Workers, Node and every browser the observer UI supports.
import { z } from "zod";
import { PROTOCOL_LIMITS } from "./limits";

const PART =
  "(?:\\p{Regional_Indicator}{2}" +
  "|[#*0-9]\\uFE0F?\\u20E3" +
  "|\\p{Extended_Pictographic}\\uFE0F?\\p{Emoji_Modifier}?(?:[\\u{E0020}-\\u{E007E}]+\\u{E007F})?)";

/** One emoji: a part, then at most three more joined by U+200D (ZWJ). */
export const EMOJI_RE = new RegExp(`^${PART}(?:\\u200D${PART}){0,3}$`, "u");

export function isEmoji(s: string): boolean {
  return s.length <= PROTOCOL_LIMITS.emojiChars && EMOJI_RE.test(s);
}

export const Emoji = z
  .string()
  .max(PROTOCOL_LIMITS.emojiChars)
  .refine(isEmoji, { message: "must be one emoji (e.g. 👍, 👍🏽, ❤️‍🔥, 🇫🇷, 1️⃣), nothing else" });
