# AppArmor profile installed by the genwatch .deb (electron-builder fills in
# the ${...} values). Ubuntu 24.04 restricts unprivileged user namespaces,
# which Chromium's sandbox needs; this profile grants `userns` to the
# genwatch binary only, so the sandbox keeps working and the app is never
# started with --no-sandbox. The .deb's post-install script loads it when the
# running AppArmor understands it (abi 4.0) and skips it otherwise.
abi <abi/4.0>,
include <tunables/global>

profile "${executable}" "/opt/${sanitizedProductName}/${executable}" flags=(unconfined) {
  userns,

  # Site-specific additions and overrides. See local/README for details.
  include if exists <local/${executable}>
}
