"""What tests build their cases from, one module per domain: workspaces, cases, mail, policies,
notifications, engine events, dashboard and browser sessions. Test modules import from here and
from conftest fixtures only, never from one another."""
