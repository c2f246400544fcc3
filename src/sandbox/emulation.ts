// Build steps for another CPU run its programs under qemu-user, which the kernel starts for them
// through binfmt_misc. With the F flag the kernel holds the emulator open from registration, so it
// works inside the sandbox, where the host's /usr is not mounted. Checked before a step runs, so a
// missing emulator is one clear error, not "Exec format error" deep in a script's output.
import { readFileSync } from "node:fs";
import { hostArchitecture } from "../define/platform.js";
import { CairnError, ErrorCode } from "../errors.js";

/** qemu's name for a Debian architecture, as binfmt entries are named (qemu-aarch64). */
const QEMU: Record<string, string> = {
  amd64: "x86_64", arm64: "aarch64", armhf: "arm", armel: "arm", i386: "i386", ppc64el: "ppc64le",
  s390x: "s390x", riscv64: "riscv64", mips64el: "mips64el",
};

/** Why `arch`'s programs cannot run here, or undefined when they can (natively, or under qemu with F). */
export function emulationMissing(arch: string, binfmtDir = "/proc/sys/fs/binfmt_misc", hostArch = hostArchitecture()): string | undefined {
  if (arch === hostArch || (hostArch === "amd64" && arch === "i386")) return undefined;
  const name = QEMU[arch] ?? arch;
  let entry: string;
  try {
    entry = readFileSync(`${binfmtDir}/qemu-${name}`, "utf8");
  } catch {
    return `no qemu-${name} is registered with binfmt_misc (${binfmtDir}/qemu-${name} is missing)`;
  }
  if (!/^enabled$/m.test(entry)) return `qemu-${name} is registered with binfmt_misc but disabled`;
  const flags = /^flags:\s*(\S*)/m.exec(entry)?.[1] ?? "";
  if (!flags.includes("F")) return `qemu-${name} is registered without the F flag, so it cannot be found inside the sandbox`;
  return undefined;
}

/**
 * Fails with what to install when `what` (a build step, or a shell) for `arch` cannot run on this
 * machine. `forSteps`: the hint adds that a build without steps needs no emulation.
 */
export function checkCanRun(arch: string, what: string, platform: string, binfmtDir?: string, forSteps = true): void {
  const why = emulationMissing(arch, binfmtDir);
  if (!why) return;
  throw new CairnError(
    ErrorCode.SANDBOX_UNAVAILABLE,
    `${what} is for ${platform}, and this machine cannot run its programs: ${why}.`,
    "Install Debian's qemu-user-static and binfmt-support (apt-get install qemu-user-static binfmt-support; mount binfmt_misc first if /proc/sys/fs/binfmt_misc is empty), which register qemu with the F flag." +
      (forSteps ? " An image of packages and files alone needs no emulation; only build steps (runAsRoot, extraCommands, derivations) do." : ""),
  );
}
