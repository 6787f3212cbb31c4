package io.guerrilla.smtpd;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Rules of the code's shape, checked on the compiled classes so a change cannot quietly break them.
 */
@AnalyzeClasses(packages = "io.guerrilla.smtpd", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    /**
     * Each package (config, pipeline, store, server...) builds on others without needing them back:
     * a cycle (config and pipeline once imported each other) makes neither usable nor testable alone.
     */
    @ArchTest
    static final ArchRule packagesHaveNoCycles = slices().matching("io.guerrilla.smtpd.(*)..").should().beFreeOfCycles();
}
