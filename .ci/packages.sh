# Sourced by the .ci/setup-*.sh scripts: `ensure_packages TAG PACKAGE...` installs (with apt-get, after
# `apt-get update`) the Debian packages that are not installed yet, and says which; TAG prefixes its lines.
# No early-closing pipes here: under `pipefail` a SIGPIPE would fail the whole CI run.
ensure_packages() {
    local tag=$1
    shift
    local missing=() p
    for p in "$@"; do
        if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "$tag: packages present"
        return
    fi
    echo "$tag: installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
