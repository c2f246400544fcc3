// nixpkgs' makeWrapper and wrapProgram as commands inside steps and derivations (on PATH from
// /.cairn/bin), same options. A program under $out is named by where it will be in the image,
// since $out's contents land at the image's root.
export const MAKE_WRAPPER = `#!/bin/sh
# makeWrapper PROGRAM WRAPPER [--add-flags ARGS] [--append-flags ARGS] [--set VAR VALUE]
#             [--set-default VAR VALUE] [--prefix VAR SEP VALUE] [--chdir DIR]
set -e
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\\\\\''/g")"; }
[ $# -ge 2 ] || { echo "usage: makeWrapper PROGRAM WRAPPER [options]" >&2; exit 2; }
prog=$1 wrapper=$2
shift 2
case $prog in "\${out:-/out}"/*) prog=\${prog#"\${out:-/out}"} ;; esac
body="" flags="" append=""
while [ $# -gt 0 ]; do
  case $1 in
    --add-flags) flags="$flags $2"; shift 2 ;;
    --append-flags) append="$append $2"; shift 2 ;;
    --set) body="$body$2=$(q "$3"); export $2
"; shift 3 ;;
    --set-default) body="$body[ -n \\"\\\${$2+set}\\" ] || $2=$(q "$3"); export $2
"; shift 3 ;;
    --prefix) body="$body$2=$(q "$4")\\\${$2:+$(q "$3")\\\$$2}; export $2
"; shift 4 ;;
    --chdir) body="\${body}cd $(q "$2") || exit 1
"; shift 2 ;;
    *) echo "makeWrapper: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$wrapper")"
{ echo '#!/bin/sh'; printf '%s' "$body"; echo "exec $(q "$prog")$flags \\"\\$@\\"$append"; } > "$wrapper"
chmod 755 "$wrapper"
`;

export const WRAP_PROGRAM = `#!/bin/sh
# wrapProgram PROGRAM [makeWrapper options]: PROGRAM becomes a wrapper around .NAME-wrapped.
set -e
[ $# -ge 1 ] || { echo "usage: wrapProgram PROGRAM [options]" >&2; exit 2; }
prog=$1
shift
hidden="$(dirname "$prog")/.$(basename "$prog")-wrapped"
mv "$prog" "$hidden"
exec makeWrapper "$hidden" "$prog" "$@"
`;
