// Adds V8 flags to the workerd config that Miniflare writes, for the self-hosted server.
//
// Why: V8 sizes an isolate's young generation from the machine's RAM when the embedder sets
// no limit, and Miniflare sets none (on a 24 GiB host: 32 MB semi-spaces). Under the gateway's
// load that meant a 10-20 ms scavenge every ~3 s, each pausing every call in flight, which was
// most of the gateway's p99 (bench/RESULTS.md). workerd's config has a `v8Flags` field for
// this; Miniflare has no option for it, but it takes the workerd binary from
// MINIFLARE_WORKERD_PATH and sends the config as one binary Cap'n Proto message on stdin.
// scripts/workerd-v8-flags.sh sits in that place: it runs this file to add the flags to the
// message, then execs the real workerd on it (same pid, same control pipe).
//
// As a program: reads the message on stdin, writes it with SYSOP_V8_FLAGS (space-separated)
// added on stdout. Exits non-zero, writing nothing, when the message is not as expected.
//
// The layout used (Cap'n Proto encoding spec, and workerd.capnp's `struct Config`):
//   - the message starts with a segment table: (segment count - 1) and each segment's size in
//     words, as little-endian uint32s, padded to a whole word;
//   - word 0 of segment 0 is the root pointer, a struct pointer to `Config`;
//   - Config's pointer fields take pointer slots in ordinal order: services @0, sockets @1,
//     v8Flags @2, ... so v8Flags is pointer 2;
//   - a List(Text) is a list of pointers (element size 6), each to a byte list (size 2)
//     holding the UTF-8 text and a NUL.
// Field ordinals never change in Cap'n Proto (renumbering breaks every reader), so this holds
// for any workerd that reads the config at all.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

const WORD = 8;
const V8_FLAGS_POINTER = 2;
const ELEMENT_BYTE = 2;
const ELEMENT_POINTER = 6;

/** A list pointer at word `at` to a list that starts at word `target` (same segment). */
function writeListPointer(seg, at, target, elementSize, count) {
  seg.writeInt32LE(((target - (at + 1)) << 2) | 1, at * WORD);
  seg.writeUInt32LE((elementSize | (count << 3)) >>> 0, at * WORD + 4);
}

/** Where a list pointer at word `at` points (same segment): the inverse of writeListPointer. */
const listTarget = (seg, at) => at + 1 + (seg.readInt32LE(at * WORD) >> 2);
const listCount = (seg, at) => seg.readUInt32LE(at * WORD + 4) >>> 3;

/**
 * The parts of a Config message both directions need: its segment table, segment 0 and the
 * word of segment 0 holding the v8Flags pointer. Throws when the message is not a Config whose
 * root struct is in segment 0 with room for that pointer.
 */
function configLayout(message) {
  if (message.length < WORD) throw new Error("the config message is empty");
  const segmentCount = message.readUInt32LE(0) + 1;
  const tableBytes = Math.ceil((4 + 4 * segmentCount) / WORD) * WORD;
  const sizes = Array.from({ length: segmentCount }, (_, i) => message.readUInt32LE(4 + 4 * i));
  const bodyBytes = sizes.reduce((a, b) => a + b, 0) * WORD;
  if (message.length !== tableBytes + bodyBytes) throw new Error("the config message's segment table does not match its length");
  const seg0 = message.subarray(tableBytes, tableBytes + sizes[0] * WORD);
  const rootLow = seg0.readInt32LE(0);
  if ((rootLow & 3) !== 0) throw new Error("the config's root pointer is not a struct pointer in segment 0");
  const dataWords = seg0.readUInt16LE(4);
  const pointerCount = seg0.readUInt16LE(6);
  if (pointerCount <= V8_FLAGS_POINTER) throw new Error("the config's root struct has no v8Flags pointer");
  return { segmentCount, tableBytes, sizes, seg0, slot: 1 + (rootLow >> 2) + dataWords + V8_FLAGS_POINTER };
}

/**
 * The message with `flags` as Config.v8Flags. Throws when the message is not as
 * configLayout() expects, or when flags are already set.
 */
export function withV8Flags(message, flags) {
  if (flags.length === 0) return message;
  const { segmentCount, tableBytes, sizes, seg0, slot } = configLayout(message);
  if (seg0.readBigUInt64LE(slot * WORD) !== 0n) throw new Error("the config already sets v8Flags");

  // Appended to segment 0: the list of text pointers, then each text, word-aligned.
  const texts = flags.map((f) => Buffer.from(`${f}\0`, "utf8"));
  const textWords = texts.map((t) => Math.ceil(t.length / WORD));
  const added = Buffer.alloc((flags.length + textWords.reduce((a, b) => a + b, 0)) * WORD);
  const out0 = Buffer.concat([seg0, added]);
  const listStart = sizes[0];
  writeListPointer(out0, slot, listStart, ELEMENT_POINTER, flags.length);
  let next = listStart + flags.length;
  texts.forEach((text, i) => {
    writeListPointer(out0, listStart + i, next, ELEMENT_BYTE, text.length);
    text.copy(out0, next * WORD);
    next += textWords[i];
  });

  const table = Buffer.alloc(tableBytes);
  table.writeUInt32LE(segmentCount - 1, 0);
  sizes.forEach((size, i) => table.writeUInt32LE(i === 0 ? out0.length / WORD : size, 4 + 4 * i));
  return Buffer.concat([table, out0, message.subarray(tableBytes + sizes[0] * WORD)]);
}

/** Reads Config.v8Flags back (tests, and a check before handing the message to workerd). */
export function v8FlagsOf(message) {
  const { seg0, slot } = configLayout(message);
  if (seg0.readBigUInt64LE(slot * WORD) === 0n) return [];
  const listStart = listTarget(seg0, slot);
  return Array.from({ length: listCount(seg0, slot) }, (_, i) => {
    const start = listTarget(seg0, listStart + i);
    // The text's byte count includes its NUL.
    return seg0.toString("utf8", start * WORD, start * WORD + listCount(seg0, listStart + i) - 1);
  });
}

/** The flags as given in SYSOP_V8_FLAGS: V8 option syntax only, nothing a shell would expand. */
export function parseV8Flags(text) {
  const flags = (text ?? "").split(/\s+/).filter(Boolean);
  for (const f of flags) if (!/^--[a-z0-9_-]+(=[A-Za-z0-9_.:-]+)?$/.test(f)) throw new Error(`not a V8 flag: ${JSON.stringify(f)}`);
  return flags;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const flags = parseV8Flags(process.env.SYSOP_V8_FLAGS);
  const patched = withV8Flags(Buffer.concat(chunks), flags);
  if (v8FlagsOf(patched).join(" ") !== flags.join(" ")) throw new Error("the flags did not read back from the patched config");
  process.stdout.write(patched);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((err) => {
    console.error(`workerd-v8-flags: ${err.message}`);
    process.exit(1);
  });
}
