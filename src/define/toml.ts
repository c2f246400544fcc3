// TOML as Python projects write it (pyproject.toml, uv.lock, pylock.toml), read with smol-toml; a
// document it cannot read is named by file and line.
import { parse, TomlError } from "smol-toml";
import { invalid } from "./validate.js";

export function parseToml(text: string, file = "TOML"): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // smol-toml's message is a first line, then the lines around the fault: the first is enough.
    const what = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    return invalid(`${file} line ${e.line}`, `is not TOML that can be read (${what})`);
  }
}
