// cairn with no emulator to be found: binfmt_misc shows an empty folder in a mount namespace of
// its own (the machine's registrations stay as they are), so steps for another CPU cannot run.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CAIRN_BIN } from "./cairn.js";
import { command, type CommandResult } from "./command.js";

export const BINFMT = "/proc/sys/fs/binfmt_misc";

export async function cairnWithoutQemu(cwd: string, args: string[], timeoutMs = 600_000): Promise<CommandResult> {
  const hidden = await mkdtemp(join(tmpdir(), "no-binfmt-"));
  return command("unshare", ["-m", "sh", "-c", `mount --bind "$0" ${BINFMT} && cd "$1" && shift && exec "$@"`, hidden, cwd, process.execPath, CAIRN_BIN, ...args], { allowFail: true, timeoutMs });
}
