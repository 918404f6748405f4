"""QMSR gap analysis and CDER QMM self-assessment: catalogues, coverage, readiness, charts and pages."""
