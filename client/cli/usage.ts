export const USAGE = `fieldchat CLI: a headless client on the same engine as the app.

usage: npm run cli -- [--home DIR] [--server URL] [--json] [--key-file FILE] <command> [args]

The device's store (DIR/device.sqlite) is encrypted at rest: with FIELDCHAT_PASSPHRASE set
(environment only), by that passphrase; else by --key-file FILE (or FIELDCHAT_KEY_FILE, 64 hex
characters); else by DIR/device.key, made on first use (keep it apart from the store to protect
a copied store, or use a passphrase).

this device's store
  lock                        from now on the store opens only with a passphrase: the new one
                              from FIELDCHAT_NEW_PASSPHRASE (8+ characters), then
                              FIELDCHAT_PASSPHRASE on every run; the home's key file is deleted
                              (run again, with both set, to change the passphrase)
  unlock                      the store opens with a new DIR/device.key again (refused, M511,
                              while an organisation of this device requires a lock)

recovery (a lost device, or every device lost)
  recovery show               the first time: sets up recovery and prints the recovery key and
                              its QR code, once; after: whether the recovery data is up to date
  recovery new                a new recovery key; the earlier one stops working
  recover                     on a new home: your profile and full history back from the key in
                              FIELDCHAT_RECOVERY_KEY (or --recovery-key KEY); the key is then spent

conversations
  init --name NAME            create this device's keys and display name
  create --title TITLE [--ttl H]  create a conversation, this device's person its admin; prints
                              its id and a one-time invitation link (valid H hours, default 168)
  invite CONV [--ttl H]       a new one-time invitation link (admins); one link admits one person
  join LINK                   answer an invitation (a conversation's or an organisation's), then
                              wait (up to --timeout) to be admitted by an admin device: status
                              "admitted" or "pending" (exit 0 either way)
  send CONV TEXT [--count N]  write a message (N numbered copies with --count); waits for delivery
  list                        conversations on this device (removed ones are marked)
  messages CONV [--all] [--receipts]  print messages (newest segment; --all loads every segment);
                              --json shows per own message who has received and read it, as
                              this device last heard; --receipts connects and asks the devices
                              online first (waits up to 2 s)
  search QUERY [--conv CONV] [--limit N]
                              messages of every conversation on this device (or CONV) with
                              every word of QUERY, any case or accents, best first (at most N,
                              default 50, up to 200), from this device's own index: offline,
                              nothing sent anywhere (\`sync\` first brings what waits on the server)
  follow CONV                 print messages as they arrive (Ctrl-C to stop; one JSON line each)
  members CONV                list members (device id, name, admin)
  read CONV                   mark the conversation read (its newest message from others) and
                              tell the devices online (a read receipt, end to end encrypted, never
                              stored: "sent": false when nobody online got it); waits up to 5 s

messages (MESSAGE: a message id as \`messages CONV --json\` prints it; each works offline for a
message this device has, and waits for delivery like send)
  reply CONV MESSAGE TEXT     answer a message (the answer quotes it)
  react CONV MESSAGE EMOJI [--remove]  react with one emoji (--remove: take it back)
  edit CONV MESSAGE TEXT      edit a message this device wrote (earlier texts are kept)
  delete CONV MESSAGE         delete a message this device wrote, for everyone
  pin CONV MESSAGE [--off]    pin a message for every member (--off: unpin)
  forward CONV MESSAGE TO     the message as a new one in conversation TO (its files sent again)
  timer CONV [DURATION|off]   disappearing messages for every member: 5m, 1h, 8h, 1d, 7d, 30d, 90d
                              or off (an organisation's maximum caps it); without DURATION, show it
  calls CONV                  the conversation's call history: "Missed video call from Ann",
                              "Video call, 12 min: Ann, Bo" (calls themselves are the app's)
  remove CONV DEVICE          remove the person of DEVICE (admins): rotates the key; in an
                              organisation's conversation, they leave the organisation
  sync                        connect, deliver what is queued, handle the mailbox (admit people,
                              receive membership changes), report removals, exit

files (sealed on this device, end to end encrypted; the server never sees a name, type or size)
  send-file CONV PATH... [--caption TEXT]  attach files (up to 2 GiB each) as one message; waits
                              for the upload (progress as JSON lines with --json); on a cut link
                              or timeout the files stay queued and resume with \`sync\`
  files CONV [--all]          files in the conversation (file id, name, size, type, from, time,
                              the organisation scanner's verdict) and uploads still queued
  retry-upload UPLOAD         try a failed upload again (M540: the file put back as it was) and
                              wait for it as send-file does
  cancel-upload UPLOAD        drop a queued or failed upload: nothing of it stays here or on the
                              server
  get-file CONV FILE --out PATH  fetch, open and check a file; written to PATH.part and renamed
                              when whole, its hash matches and the file checks let it through
                              (a warned file needs --accept-warning; a blocked one is removed, M531;
                              send-file takes --accept-warning the same way)
  scan [--clamd-socket PATH | --clamd HOST:PORT] [--clamd-max-stream BYTES] [--once]
                              this device as the organisation's scanner (a member that
                              \`org policy ORG scanner=USER\` names): every file without its
                              verdict is fetched, checked by ClamAV's clamd (default socket
                              /var/run/clamav/clamd.ctl) and a signed verdict posted for members
                              to see; one line per verdict; clamd down: tried again later;
                              --once: what is there now, exit 1 if files were left for later;
                              a file over clamd's StreamMaxLength (--clamd-max-stream, default
                              25M as Debian's clamd.conf) is posted "unscanned: too large"

file checks (on this device, from the content, name and type: nothing is sent anywhere)
  check-file PATH [--name N] [--type MIME] [--org ORG]
                              the verdict on a file: ok, warn or block, with coded reasons
                              (H1xx found in the file, H2xx the organisation's file policy);
                              the policy of ORG, or of the one organisation this device is in
                              (no server needed; no device unless an organisation is);
                              --name, --type: what it would be sent as; exit 1 unless ok

links (checked on this device from the link alone: nothing is looked up or sent anywhere)
  check-link URL [--text SHOWN]  the verdict on a link: ok, warn or block, with coded reasons
                              (U1xx warn, U2xx block); checks against the blocklists of this
                              device's organisations; --text: what a message shows for the
                              link; exit 1 unless ok

export archives (passphrase from FIELDCHAT_EXPORT_PASSPHRASE, environment only)
  export [CONV...] --out FILE encrypted archive of these conversations (default: all on this
                              device; every segment); passphrase of at least 8 characters;
                              refused (M510) where an organisation's policy forbids export
  open-archive FILE           open an archive read-only (no device store needed): conversations
                              and messages; --json gives the whole archive

organisations (ORG: id or exact name — a conversation's id too, to promote, demote, list or
revoke its invitations; USER: user id or exact display name)
  org create NAME             create an organisation, this device's person its first admin
  org list                    organisations on this device, pending join requests, removals
  org invite ORG [--ttl H]    one-time invitation link valid H hours (default 168)
  org invites ORG             open invitations
  org revoke ORG INVITE       revoke an open invitation
  org accept LINK             answer an invitation, then wait (up to --timeout) to be admitted;
                              status "admitted" or "pending" (exit 0 either way)
  org sync                    the same as sync
  org members ORG             the directory: user id, name, admin, devices, (you)
  org link-device ORG [--ttl H]  one-time link to add another device of yours (default 24 h)
  org devices ORG [USER]      devices of a person (default: you), with their ids
  org remove-device ORG DEVICE   remove a device (yours, or anyone's as an admin); rotates keys
  org promote ORG USER        make an admin
  org demote ORG USER         no longer an admin
  org remove ORG USER         remove a person from the organisation and all its groups; rotates keys
  org policy ORG [SETTING...] the organisation's device policy; admins change it with
                              require-lock=on|off, auto-lock=MINUTES (0: the person chooses),
                              export=allow|forbid, block-type=TYPES and warn-type=TYPES (file
                              extensions or classes: executable, script, installer, disk-image,
                              macro-document, archive; comma-separated; none clears),
                              max-file-mb=MIB (0: the app's limit), block-hash=SHA256,
                              unblock-hash=SHA256, block-domain=DOMAIN, unblock-domain=DOMAIN,
                              scanner=USER|off (the member whose device runs \`scan\`; admin
                              devices add that person to every group)
  org stats ORG [on|off] [--from DAY] [--to DAY]
                              usage statistics: admins turn them on (this device collects the
                              anonymous daily reports) or off; on the collecting device, the
                              released usage (noisy totals of closed days, devices, versions,
                              groups, invitations; the last 28 days unless --from/--to YYYY-MM-DD)
  org verify ORG USER         the safety number with USER, and your code for USER to check
  org verify ORG USER --code TEXT
                              check USER's code: match, mismatch or malformed (exit 1 unless match)

groups (GROUP: id or exact name)
  group create ORG NAME [--no-history]
                              create a group; --no-history: new members cannot read earlier messages
  group list ORG              groups: id, name, member?, number of members
  group add GROUP USER...     add people; rotates the key
  group remove GROUP USER     remove a person; rotates the key
  group rename GROUP NAME     rename a group (admins)
  group history GROUP on|off  whether people added later read earlier messages
  group promote GROUP USER    make a group admin
  group demote GROUP USER     no longer a group admin
  group members GROUP         members: user id, name, admin

  --home    data folder of this device (default ./.fieldchat, env FIELDCHAT_HOME)
  --server  sync server WebSocket URL (default ws://127.0.0.1:8787/sync, env FIELDCHAT_SERVER)
  --origin  app origin used in invitation links (default http://localhost:8787)
  --timeout seconds a command may wait for the server (default 30)
  --json    one JSON document on stdout; errors as {"error": {"code", "message"}}

Commands that change something wait until the server has it (C300 and exit 1 otherwise: the
change stays on this device and goes out with the next sync). Exit codes: 0 done, 1 error,
2 usage.
`
