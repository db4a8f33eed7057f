"""Cases: customers, the case lifecycle, messages, escalations, SLA state and the audit trail."""
