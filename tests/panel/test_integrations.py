import plistlib

from panel.integrations import CEP_BUNDLE, InstallRoots, installed_versions
from panel.ui.viewmodels import IntegrationRow


def test_finds_the_installed_versions(tmp_path):
    cep = tmp_path / "cep" / CEP_BUNDLE / "CSXS"
    cep.mkdir(parents=True)
    (cep / "manifest.xml").write_text(
        '<ExtensionManifest ExtensionBundleId="com.quickture.premiere" '
        'ExtensionBundleVersion="1.7.2" Version="7.0"/>'
    )
    avid = tmp_path / "avx" / "Quickture.acf" / "Contents"
    avid.mkdir(parents=True)
    (avid / "Info.plist").write_bytes(plistlib.dumps({"CFBundleShortVersionString": "2.4.1"}))
    roots = InstallRoots([tmp_path / "missing", tmp_path / "cep"], [tmp_path / "avx"])
    assert installed_versions(roots) == {"premiere": "1.7.2", "avid": "2.4.1"}


def test_version_txt_and_nothing(tmp_path):
    bundle = tmp_path / "avx" / "Quickture.acf"
    bundle.mkdir(parents=True)
    (bundle / "version.txt").write_text("2.0.0\n")
    assert installed_versions(InstallRoots([], [tmp_path / "avx"])) == {"avid": "2.0.0"}
    assert installed_versions(InstallRoots([tmp_path], [tmp_path])) == {}


def test_out_of_date_compares_versions_numerically():
    row = IntegrationRow("Avid", latest="2.10.0", installed="2.9.1", download_url="u")
    assert row.out_of_date and "update available" in row.status
    assert not IntegrationRow("Avid", "2.4.1", "2.4.1", "u").out_of_date
    assert IntegrationRow("Avid", "2.4.1", None, "u").status == "Not installed"
    assert IntegrationRow("Avid", None, None, None).status == "No release published yet"
