// compose.yaml for a ComposeSpec whose images are built: the small subset of YAML compose needs,
// written by hand. Every string is double-quoted (JSON's escapes are YAML's), and `$` is doubled,
// since compose would otherwise read `$VAR` in any value as a variable of the host.
import type { ComposeSpec } from "../../define/compose.js";

export interface BuiltImage {
  /** `name:tag`, as the image is loaded into docker or podman. */
  reference: string;
  /** The manifest digest cairn built, for the reader. */
  digest: string;
}

export interface ComposeYamlOptions {
  /** Comment lines at the top (without `#`). */
  header?: string[];
}

/** The compose file: services sorted by name, each key in compose's usual order. */
export function composeYaml(spec: ComposeSpec, images: Record<string, BuiltImage>, options: ComposeYamlOptions = {}): string {
  const out: string[] = (options.header ?? []).map((l) => (l ? `# ${l}` : "#"));
  if (spec.name) out.push(`name: ${str(spec.name)}`);
  out.push("services:");
  for (const [name, s] of Object.entries(spec.services).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const image = images[name];
    if (!image) throw new Error(`composeYaml: no built image for service ${name}`);
    out.push(`  ${name}:`);
    out.push(`    # ${comment(image.reference)} ${image.digest}`);
    out.push(`    image: ${str(image.reference)}`);
    // The images exist only where cairn loaded them; never look for them in a registry.
    out.push("    pull_policy: never");
    if (s.command) out.push(`    command: [${s.command.map(str).join(", ")}]`);
    const env = Object.entries(s.environment);
    if (env.length) {
      out.push("    environment:");
      for (const [k, v] of env) out.push(`      ${k}: ${str(v)}`);
    }
    if (s.ports.length) {
      out.push("    ports:");
      for (const p of s.ports) out.push(`      - ${str(p)}`);
    }
    if (s.dependsOn.length) {
      out.push("    depends_on:");
      for (const d of s.dependsOn) out.push(`      - ${str(d)}`);
    }
  }
  return out.join("\n") + "\n";
}

/** A YAML double-quoted scalar with compose's `$` escaped. */
export function str(s: string): string {
  // JSON leaves DEL, C1 controls and the Unicode line separators raw; YAML wants them escaped.
  return JSON.stringify(s.replace(/\$/g, "$$$$")).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function comment(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}
