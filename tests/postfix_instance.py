"""A throwaway Postfix instance that relays through Maltastic, as a customer's MTA would.

The instance has its own configuration and queue folder, listens on a loopback port and
is stopped afterwards. It needs Postfix installed and root, because Postfix starts its
daemons as root and drops to the `postfix` user.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import skip_or_fail
from tests.live_server import free_port as unused_port

POSTFIX = Path("/usr/sbin/postfix")
INSTALL_HINT = "install it with: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"

# chroot is off ("n" in the fifth column), so the instance needs no files under its queue.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60  1 pickup
cleanup   unix  n - n -   0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -   - trivial-rewrite
bounce    unix  - - n -   0 bounce
defer     unix  - - n -   0 bounce
trace     unix  - - n -   0 bounce
verify    unix  - - n -   1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -   - proxymap
smtp      unix  - - n -   - smtp
relay     unix  - - n -   - smtp
showq     unix  n - n -   - showq
error     unix  - - n -   - error
retry     unix  - - n -   - error
discard   unix  - - n -   - discard
anvil     unix  - - n -   1 anvil
scache    unix  - - n -   1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = postfix-upstream.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:{relay_port}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
alias_maps =
alias_database =
local_recipient_maps =
"""


def postfix(config: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSTFIX), "-c", str(config), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def postfix_instance(relay_port: int) -> Iterator[PostfixInstance]:
    """Run Postfix on a free loopback port with the Maltastic relay as its relayhost."""
    if not POSTFIX.exists():
        skip_or_fail(f"Postfix is not installed at {POSTFIX}: {INSTALL_HINT}")
    if os.geteuid() != 0:
        skip_or_fail("starting a Postfix instance needs root")
    # The postfix user must reach the queue, so the folder is not under pytest's
    # private (mode 0700) temporary folder.
    root = Path(tempfile.mkdtemp(prefix="maltastic-postfix-"))
    root.chmod(0o755)
    (root / "queue").mkdir()
    (root / "data").mkdir()
    shutil.chown(root / "data", user="postfix")
    config = root / "config"
    config.mkdir()
    instance = PostfixInstance(root, unused_port())
    (config / "main.cf").write_text(MAIN_CF.format(root=root, relay_port=relay_port))
    (config / "master.cf").write_text(MASTER_CF.format(port=instance.port))
    started = postfix(config, "start")
    assert started.returncode == 0, instance.maillog() + started.stderr
    try:
        wait_for_port(instance.port)
        yield instance
    finally:
        postfix(config, "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class PostfixInstance:
    root: Path
    port: int

    def maillog(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else "(no maillog written)"


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"Postfix did not listen on 127.0.0.1:{port}")
