"""The `farmgate` command as operators use it: token, demo, rebuild, import, schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from farmgate.deploy.container import build_system
from farmgate.graphql.auth import TokenVerifier
from farmgate.deploy.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PII_PEPPER, Settings
from tests.personal_data import LOG_DIR, PersonalData

ROOT = Path(__file__).resolve().parents[2]


def farmgate(*args: str, url: str = "memory://", check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_LOG_FORMAT": "json", "FARMGATE_ENV": "test",
           "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "farmgate.deploy", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / "cli.log").open("a", encoding="utf-8") as log:
        log.write(result.stdout + result.stderr)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_token_prints_a_verifiable_jwt_with_the_scope_claims() -> None:
    token = farmgate("token", "--role", "PROVINCE_OFFICER", "--subject", "lan", "--province", "20").stdout.strip()
    claims = jwt.decode(token, DEVELOPMENT_JWT_SECRET, algorithms=["HS256"], audience="farmgate")
    assert (claims["role"], claims["sub"], claims["province"]) == ("PROVINCE_OFFICER", "lan", "20")
    refused = farmgate("token", "--role", "MARKETPLACE", "--subject", "x", check=False)
    assert refused.returncode == 2 and "--marketplace" in refused.stderr
    # A subject the API would refuse (it becomes an event's actor) is not signed either.
    for subject in ("", "lan\nADMIN:root"):
        bad = farmgate("token", "--role", "ADMIN", "--subject", subject, check=False)
        assert bad.returncode == 2 and "subject" in bad.stderr and not bad.stdout.strip(), subject


def test_token_takes_a_province_claim_qualified_by_its_scheme() -> None:
    token = farmgate("token", "--role", "PROVINCE_OFFICER", "--subject", "giang", "--province", "2021:24").stdout.strip()
    principal = TokenVerifier(development_secret=DEVELOPMENT_JWT_SECRET).verify(token)
    assert principal.province == "2021:24" and principal.province_area.code == "24"
    assert principal.province_area.covers(2021, "24") and not principal.province_area.covers(2021, "27")
    bare = TokenVerifier(development_secret=DEVELOPMENT_JWT_SECRET).verify(farmgate(
        "token", "--role", "PROVINCE_OFFICER", "--subject", "ninh", "--province", "24").stdout.strip())
    assert bare.province == "2025:24" and bare.province_area.covers(2021, "27")
    for unknown in ("2021:99", "2025:77", "1999:24"):
        refused = farmgate("token", "--role", "PROVINCE_OFFICER", "--subject", "x", "--province", unknown, check=False)
        assert refused.returncode == 2 and "scheme" in refused.stderr, unknown


def test_production_refuses_to_start_with_the_development_secret() -> None:
    env = {**os.environ, "FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": DEVELOPMENT_JWT_SECRET}
    result = subprocess.run([sys.executable, "-m", "farmgate.deploy", "serve", "--port", "1"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "FARMGATE_JWT_SECRET" in result.stderr


def test_production_refuses_to_start_with_an_empty_or_development_pepper() -> None:
    issuers = '[{"issuer": "https://id.postmart.example", "jwks": "/nowhere.json", "roles": ["MARKETPLACE"]}]'
    for pepper in ("", DEVELOPMENT_PII_PEPPER):
        env = {**os.environ, "FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "s" * 40,
               "FARMGATE_JWT_ISSUERS": issuers, "FARMGATE_PII_PEPPER": pepper,
               "FARMGATE_AUDIT_SIGNING_KEY": "a7" * 32}
        result = subprocess.run([sys.executable, "-m", "farmgate.deploy", "serve", "--port", "1"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "FARMGATE_PII_PEPPER" in result.stderr, (pepper, result.stderr[-300:])
        assert "Traceback" not in result.stderr and DEVELOPMENT_PII_PEPPER not in result.stderr


def test_demo_twice_adds_nothing_and_rebuild_restores_the_read_model(backend_url: str) -> None:
    first = farmgate("demo", url=backend_url)
    assert "facts recorded" in first.stderr
    system = build_system(Settings(database_url=backend_url, env="test"))
    try:
        head = system.app.recorder.max_notification_id()
        again = farmgate("demo", url=backend_url)
        assert "already loaded" in again.stderr
        # Check the second run recorded nothing at all, not merely no new household.
        assert system.app.recorder.max_notification_id() == head
        before, total = system.households.page(after_position=0, limit=100)
        assert total == 7 and {r["province_code"] for r in before} == {"20", "24"}
        with system.store.transaction() as cur:  # damage the read model
            cur.execute("DELETE FROM household_directory_v2 WHERE province_code = '24'")
        rebuilt = farmgate("projections", "rebuild", "--all", url=backend_url)
        assert "rebuilding household_directory_v2" in rebuilt.stderr
        after, total = system.households.page(after_position=0, limit=100)
        assert total == 7 and after == before
        unknown = farmgate("projections", "rebuild", "nonsense", url=backend_url, check=False)
        assert unknown.returncode == 2 and "household_directory" in unknown.stderr
        both = farmgate("projections", "rebuild", "--all", "claims", url=backend_url, check=False)
        assert both.returncode == 2 and "not both" in both.stderr and "rebuilding" not in both.stderr
    finally:
        system.close()


IMPORT_HEADER = "name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude"
AS_LAN = ("--officer", "lan", "--province", "2021:20")


def test_import_households_reports_each_bad_row_and_imports_the_rest(tmp_path: Path, personal_data: PersonalData) -> None:
    url = f"sqlite:///{tmp_path}/import.db"
    good = [personal_data.national_id() for _ in range(3)]
    rows = [IMPORT_HEADER]
    rows += [f"Hộ số {n},{nid},{personal_data.phone()},2021,20,187,06466,,21.6,106.6" for n, nid in enumerate(good)]
    rows.append(f"Hộ sai tỉnh,{personal_data.national_id()},{personal_data.phone()},2021,99,,,,,")
    rows.append(f"Hộ trùng,{good[0]},{personal_data.phone()},2021,20,,,,,")
    rows.append(f"Hộ sai số,{personal_data.national_id()},12345,2021,20,,,,,")
    rows.append(f"Hộ Bắc Giang,{personal_data.national_id()},{personal_data.phone()},2021,24,,,,,")
    csv_file = tmp_path / "lang-son.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = farmgate("import-households", str(csv_file), *AS_LAN, url=url, check=False)
    assert result.returncode == 1
    assert "imported 3, already registered 0, failed 4" in result.stderr
    assert "row 5: province_code: INVALID" in result.stderr
    assert "row 6: national_id: ALREADY_EXISTS: The same national ID as row 2" in result.stderr
    assert "row 7: phone: INVALID" in result.stderr
    assert "row 8: province_code: FORBIDDEN" in result.stderr  # Bắc Giang is not Lạng Sơn
    assert not any(nid in result.stderr + result.stdout for nid in personal_data.national_ids)
    system = build_system(Settings(database_url=url, env="test"))
    try:
        assert system.households.page(after_position=0, limit=10)[1] == 3
        registrations = [system.app.mapper.to_domain_event(n) for n in
                         system.app.recorder.select_notifications(start=1, limit=100)
                         if n.topic.endswith("Household.Registered")]
        assert {(e.actor, e.correlation_id.split(":")[0]) for e in registrations} == {
            ("PROVINCE_OFFICER:lan", "household-import")}
    finally:
        system.close()


def test_import_households_dry_run_records_nothing_and_a_re_run_adds_nothing(
        tmp_path: Path, personal_data: PersonalData) -> None:
    url = f"sqlite:///{tmp_path}/import.db"
    rows = [IMPORT_HEADER] + [f"Hộ số {n},{personal_data.national_id()},{personal_data.phone()},2021,20,,,,,"
                              for n in range(4)]
    csv_file = tmp_path / "lang-son.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dry = farmgate("import-households", str(csv_file), *AS_LAN, "--dry-run", url=url)
    assert "would import 4, already registered 0, failed 0 (dry run: nothing recorded)" in dry.stderr
    first = farmgate("import-households", str(csv_file), *AS_LAN, url=url)
    assert "imported 4, already registered 0, failed 0" in first.stderr
    again = farmgate("import-households", str(csv_file), *AS_LAN, url=url)
    assert "imported 0, already registered 4, failed 0" in again.stderr
    system = build_system(Settings(database_url=url, env="test"))
    try:
        assert system.households.page(after_position=0, limit=10)[1] == 4
        assert system.app.recorder.max_notification_id() == 4 * 2 + 1  # 4 households, 4 codes, 1 sequence
    finally:
        system.close()


def test_import_households_needs_the_officer_and_a_province_and_a_household_csv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/import.db"
    csv_file = tmp_path / "lang-son.csv"
    csv_file.write_text("name,phone\nA,0912345678\n", encoding="utf-8")
    refused = farmgate("import-households", str(csv_file), *AS_LAN, url=url, check=False)
    assert refused.returncode == 2 and "lacks the columns national_id, province_code" in refused.stderr
    no_province = farmgate("import-households", str(csv_file), "--officer", "lan", url=url, check=False)
    assert no_province.returncode == 2 and "--province" in no_province.stderr
    unknown = farmgate("import-households", str(csv_file), "--officer", "lan", "--province", "2021:99", url=url,
                       check=False)
    assert unknown.returncode == 2 and "--province" in unknown.stderr


@pytest.mark.parametrize("officer", ["", "  ", "lan\nADMIN:root", "lan\u202e"], ids=["empty", "blank", "line-break", "bidi"])
def test_import_households_refuses_an_officer_name_that_could_not_be_an_events_actor(
        tmp_path: Path, personal_data: PersonalData, officer: str) -> None:
    # The name becomes the actor (PROVINCE_OFFICER:NAME) of every household imported, so it obeys the
    # rule a token's subject obeys; an empty one or one with a line break was recorded as it was.
    url = f"sqlite:///{tmp_path}/import.db"
    csv_file = tmp_path / "lang-son.csv"
    csv_file.write_text(f"{IMPORT_HEADER}\nHộ số 1,{personal_data.national_id()},{personal_data.phone()},2021,20,,,,,\n",
                        encoding="utf-8")
    refused = farmgate("import-households", str(csv_file), "--officer", officer, "--province", "2021:20", url=url,
                       check=False)
    assert refused.returncode == 2 and "--officer" in refused.stderr, refused.stderr
    system = build_system(Settings(database_url=url, env="test"))
    try:
        assert system.app.recorder.max_notification_id() in (None, 0)
    finally:
        system.close()


def test_import_households_refuses_districts_and_wards_outside_their_province_and_scheme(
    tmp_path: Path, personal_data: PersonalData
) -> None:
    url = f"sqlite:///{tmp_path}/import.db"
    rows = [IMPORT_HEADER]
    places = [
        "2021,20,187,06466",  # row 2: Thị trấn Chi Lăng: imported
        "2025,20,,06463",  # row 3: Xã Chi Lăng, 2025: imported
        "2021,20,005,",  # row 4: Cầu Giấy is a district of Hà Nội
        "2021,20,187,06280",  # row 5: Điềm He is a ward of Văn Quan
        "2021,20,999,",  # row 6
        "2021,20,187,99999",  # row 7
        "2025,20,187,",  # row 8: no district level in 2025
        "2025,20,,06466",  # row 9: a 2021 ward code
    ]
    rows += [f"Hộ số {n},{personal_data.national_id()},{personal_data.phone()},{place},,," for n, place in
             enumerate(places)]
    csv_file = tmp_path / "lang-son.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = farmgate("import-households", str(csv_file), *AS_LAN, url=url, check=False)
    assert "imported 2, already registered 0, failed 6" in result.stderr
    for line, field in ((4, "district_code"), (5, "ward_code"), (6, "district_code"), (7, "ward_code"),
                        (8, "district_code"), (9, "ward_code")):
        assert f"row {line}: {field}: INVALID" in result.stderr, line


def test_schema_prints_the_served_sdl() -> None:
    assert "type Household implements Node" in farmgate("schema").stdout


def test_token_signs_with_an_issuers_private_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    private = ed25519.Ed25519PrivateKey.generate()
    key_file = tmp_path / "voso.pem"
    key_file.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    token = farmgate("token", "--role", "MARKETPLACE", "--subject", "vs", "--marketplace", "VOSO", "--key",
                     str(key_file), "--kid", "voso-1", "--issuer", "https://id.voso.example").stdout.strip()
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": "voso-1", "typ": "JWT"}
    claims = jwt.decode(token, private.public_key(), algorithms=["EdDSA"], audience="farmgate",
                        issuer="https://id.voso.example")
    assert (claims["role"], claims["marketplace"]) == ("MARKETPLACE", "VOSO")
    assert claims["exp"] - claims["iat"] == 3600
    refused = farmgate("token", "--role", "ADMIN", "--subject", "x", "--key", str(key_file), check=False)
    assert refused.returncode == 2 and "--issuer" in refused.stderr
