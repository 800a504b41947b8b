"""The pinned Apache Kafka distribution: fetched once with Maven into a cache, then offline.

Apache Kafka is a set of jars on Maven Central (``org.apache.kafka:kafka_2.13`` and its
runtime dependencies); Maven resolves them from a generated pom, so no tarball mirror and no
checksum list of our own are needed. A complete cache (its manifest lists every jar, all
present) is used as it is: a second run needs neither Maven nor the network.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from services.kafka.embedded_broker import BrokerStartError

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
LOG4J_VERSION = "2.25.5"  # the log4j-core that kafka_2.13 4.4.0 depends on
MIN_JAVA = 17
CACHE_VARIABLE = "TRIAGE_KAFKA_CACHE"
_MANIFEST = "jars.txt"  # written last: its presence means the libs are complete

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.triage</groupId>
  <artifactId>kafka-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{version}</version>
    </dependency>
    <!-- Kafka logs through slf4j 1.7; the distribution binds it to log4j2 with this jar -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


class KafkaSetupError(BrokerStartError):
    """Apache Kafka cannot be fetched or run here; the message says what to install or fix."""


def kafka_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``TRIAGE_KAFKA_CACHE``, else ``$XDG_CACHE_HOME/triage/kafka-<version>`` (~/.cache)."""
    explicit = env.get(CACHE_VARIABLE, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "triage" / f"kafka-{KAFKA_VERSION}"


def java_executable(env: Mapping[str, str] = os.environ) -> str:
    """The ``java`` to run Kafka with (``JAVA_HOME`` first, then PATH), checked to be 17+."""
    home = env.get("JAVA_HOME", "").strip()
    candidate = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise KafkaSetupError(
            f"Apache Kafka needs Java {MIN_JAVA} or newer and no `java` was found "
            f"(JAVA_HOME={home or 'unset'}, PATH): install a JDK, e.g. "
            "`apt-get install openjdk-17-jdk-headless`, or set JAVA_HOME"
        )
    major = java_major_version(candidate)
    if major < MIN_JAVA:
        raise KafkaSetupError(
            f"Apache Kafka {KAFKA_VERSION} needs Java {MIN_JAVA} or newer; {candidate} is Java "
            f"{major}: install openjdk-17-jdk-headless (or newer) and put it first on PATH or in JAVA_HOME"
        )
    return candidate


def java_major_version(java: str) -> int:
    """The feature release of a ``java`` binary (8 for 1.8.0_x, 17 for 17.0.15)."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    return parse_java_major(out.stderr + out.stdout)


def parse_java_major(version_text: str) -> int:
    """The major version in ``java -version`` output (``version "17.0.15"``, ``"1.8.0_392"``)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_text)
    if match is None:
        raise KafkaSetupError(f"cannot read the Java version from: {version_text.strip()[:200]!r}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def cached_jars(cache: Path) -> list[Path] | None:
    """The jars of a complete cache, or None when it is missing or incomplete."""
    manifest = cache / _MANIFEST
    pom = cache / "pom.xml"
    if not manifest.is_file() or not pom.is_file() or pom.read_text() != _pom():
        return None  # never fetched, interrupted, or fetched for another version
    jars = [cache / "libs" / line for line in manifest.read_text().split() if line]
    return jars if jars and all(j.is_file() for j in jars) else None


def ensure_kafka_libs(
    cache: Path | None = None,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> Path:
    """The directory of Kafka's jars (``<cache>/libs``), fetched with Maven if not yet complete.

    Safe to call from several processes at once (a file lock): one fetches, the others wait
    and find the cache complete.
    """
    cache = cache or kafka_cache_dir()
    if cached_jars(cache) is not None:
        return cache / "libs"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cached_jars(cache) is None:
            _fetch(cache, progress)
    return cache / "libs"


def _pom() -> str:
    return _POM.format(scala=SCALA_VERSION, version=KAFKA_VERSION, log4j=LOG4J_VERSION)


def _fetch(cache: Path, progress: Callable[[str], None]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError(
            f"Apache Kafka {KAFKA_VERSION} is not in {cache} yet and fetching it needs Maven: "
            "install it (`apt-get install maven`), or fill the cache on a machine with Maven "
            f"and copy it here ({CACHE_VARIABLE} chooses the directory)"
        )
    java_executable()  # Maven itself needs a JDK; say so before Maven does, less clearly
    (cache / _MANIFEST).unlink(missing_ok=True)
    (cache / "pom.xml").write_text(_pom())
    staging = cache / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    log_path = cache / "maven.log"
    progress(
        f"fetching Apache Kafka {KAFKA_VERSION} with Maven into {cache} (once, about 45 MB; log: {log_path})"
    )
    started = time.monotonic()
    argv = [
        mvn,
        "-B",
        "-f",
        str(cache / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-DincludeScope=runtime",
    ]
    downloaded = 0
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if line.startswith("Downloaded from"):
                downloaded += 1
                if downloaded % 25 == 0:
                    progress(f"  {downloaded} files downloaded ...")
        code = proc.wait()
    if code != 0:
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-15:])
        raise KafkaSetupError(
            f"Maven could not fetch Apache Kafka {KAFKA_VERSION} (exit {code}); is Maven Central "
            f"reachable (a proxy in ~/.m2/settings.xml?). Full log: {log_path}\n{tail}"
        )
    jars = sorted(p.name for p in staging.glob("*.jar"))
    if not any(name.startswith(f"kafka_{SCALA_VERSION}-") for name in jars):
        raise KafkaSetupError(f"Maven finished but {staging} holds no Kafka jar; see {log_path}")
    shutil.rmtree(cache / "libs", ignore_errors=True)
    staging.rename(cache / "libs")
    (cache / _MANIFEST).write_text("\n".join(jars) + "\n")  # last: marks the cache complete
    size = sum((cache / "libs" / j).stat().st_size for j in jars) / 1e6
    progress(
        f"Apache Kafka {KAFKA_VERSION}: {len(jars)} jars, {size:.0f} MB in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":  # `python -m services.kafka.kafka_dist`: fill the cache, print its path
    try:
        print(ensure_kafka_libs())
    except KafkaSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
