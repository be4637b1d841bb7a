"""Per-profile matching time for the default protocol (the `oncobasket match` path; target < 50 ms).

Prints start-up costs (tumour types, protocol file, compilation) and the time to match each profile
once (cold: protein changes parsed for the first time) and again (warm), over the real files in
../shared/data when present, else over a synthetic TSO500-sized profile.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from oncobasket.core.matching import PatientFacts, compile_protocol, evaluate_profile
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, Msi, MsiStatus, Tmb, TmbClass
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def synthetic() -> list[MolecularProfile]:
    genes = ["TP53", "KRAS", "PIK3CA", "BRAF", "EGFR", "BRCA2", "ATM", "APC", "SMAD4", "ARID1A"]
    mutations = [
        Alteration(gene, AlterationKind.MUTATION, protein_change=f"p.A{100 + index}T", vaf=0.2)
        for index, gene in enumerate(genes * 4)
    ]
    alterations = (*mutations, Alteration("ERBB2", AlterationKind.AMPLIFICATION, fold_change=4.0))
    return [
        MolecularProfile(
            f"SYN-{number}",
            alterations=alterations,
            tmb=Tmb(12.0, TmbClass.INTERMEDIATE),
            msi=Msi(120, 3, 2.5, MsiStatus.MSS),
        )
        for number in range(50)
    ]


def real_profiles() -> list[MolecularProfile]:
    from oncobasket.io.readers import read_profiles

    paths = [
        SHARED / "tso500" / "AWGL__tests_test_data_tsv2b_12345_CombinedVariantOutput.tsv",
        SHARED / "tso500" / "AWGL__tests_test_data_fusion_check_sample_CombinedVariantOutput.tsv",
        SHARED / "maf" / "oncokb-annotator__example_maf.txt",
        SHARED / "maf" / "maftools__tcga_laml.maf.gz",
    ]
    return read_profiles([path for path in paths if path.exists()])


def main() -> None:
    started = time.perf_counter()
    tumour_types = load_shipped_tumour_types()
    loaded_types = time.perf_counter()
    protocol = load_protocol(default_protocol_path(), tumour_types)
    loaded_protocol = time.perf_counter()
    compiled = compile_protocol(protocol)
    compiled_at = time.perf_counter()
    print(
        f"start-up: tumour types {1000 * (loaded_types - started):.1f} ms, protocol file "
        f"{1000 * (loaded_protocol - loaded_types):.1f} ms, compile {1000 * (compiled_at - loaded_protocol):.1f} ms"
    )

    profiles = real_profiles() if SHARED.is_dir() else []
    source = "real files in ../shared/data"
    if not profiles:
        profiles, source = synthetic(), "synthetic profiles"
    patient = PatientFacts(tumour_type="CUP", age=60, ecog=1)
    for label in ("cold", "warm"):
        times = []
        matches = 0
        for profile in profiles:
            before = time.perf_counter()
            result = evaluate_profile(profile, patient, compiled, tumour_types)
            times.append(1000 * (time.perf_counter() - before))
            matches += len(result.matches)
        print(
            f"{label}: {len(profiles)} profiles ({source}), {matches} matches; per profile median "
            f"{statistics.median(times):.3f} ms, mean {statistics.fmean(times):.3f} ms, max {max(times):.3f} ms"
        )


if __name__ == "__main__":
    main()
