#!/usr/bin/env bash
# Put RNN Studio in the Linux application menu for the current user: the desktop entry,
# the AppStream metadata and the icons, under $XDG_DATA_HOME (~/.local/share).
#
#   packaging/install-desktop-files.sh                       for `rnnstudio` on PATH (pip, pipx)
#   packaging/install-desktop-files.sh --exec /opt/rnnstudio/rnnstudio   for a frozen bundle
#   packaging/install-desktop-files.sh --uninstall
#
# PREFIX=/usr/local/share installs system-wide (run as root).
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."

prefix=${PREFIX:-${XDG_DATA_HOME:-$HOME/.local/share}}
desktop=$(ls resources/*.desktop)
app_id=$(basename "$desktop" .desktop)
exec_path=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) exec_path=$2; shift 2
                case "$exec_path" in /*) ;; *) exec_path=$caller/$exec_path ;; esac ;;
        --uninstall) uninstall=1; shift ;;
        *) echo "install-desktop-files.sh: unknown option $1 (use --exec PATH, --uninstall)" >&2
           exit 2 ;;
    esac
done

targets=("$prefix/applications/$app_id.desktop" "$prefix/metainfo/$app_id.metainfo.xml"
         "$prefix/icons/hicolor/scalable/apps/$app_id.svg")
for png in resources/icons/rnnstudio-*.png; do
    size=${png##*-}; size=${size%.png}
    targets+=("$prefix/icons/hicolor/${size}x${size}/apps/$app_id.png")
done

if [ "$uninstall" = 1 ]; then
    rm -f "${targets[@]}"
else
    install -Dm644 resources/icons/rnnstudio.svg "$prefix/icons/hicolor/scalable/apps/$app_id.svg"
    for png in resources/icons/rnnstudio-*.png; do
        size=${png##*-}; size=${size%.png}
        install -Dm644 "$png" "$prefix/icons/hicolor/${size}x${size}/apps/$app_id.png"
    done
    install -Dm644 "resources/$app_id.metainfo.xml" "$prefix/metainfo/$app_id.metainfo.xml"
    install -Dm644 "$desktop" "$prefix/applications/$app_id.desktop"
    if [ -n "$exec_path" ]; then  # a bundle is not on PATH: point the entry at it
        sed -i "s|^Exec=rnnstudio|Exec=\"$exec_path\"|; s|^TryExec=rnnstudio|TryExec=$exec_path|" \
            "$prefix/applications/$app_id.desktop"
    fi
fi
# Menus and icon caches pick the change up at once where these tools exist.
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/icons/hicolor" || true
echo "install-desktop-files.sh: $([ "$uninstall" = 1 ] && echo removed || echo installed) $app_id under $prefix"
