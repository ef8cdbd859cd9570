"""Deny by default (R8.3), proved route by route against a table written by hand.

`ROUTES` below is the contract: every route the application serves (API, gateway, console,
portal), and who may call it. It is written out, not computed from `PERMISSIONS`, so a
permission granted too widely, a route marked `Public()` by mistake or a new route nobody
thought about all fail here. Each route is then called without credentials (401, or the
login page for the console), by every role the table does not name (403 `permission_denied`),
and by every role it does name (never 401 or 403).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import PERMISSIONS, Permission, Role
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.identity.models import User
from sluice.web.app import create_app
from sluice.web.deps import Public, Requires, RequiresApiKey
from sluice.web.routes import all_routes, guards_of
from tests.identity.factories import make_account

EVERYONE: Final = frozenset(Role)

# method  path  who: "public", "everyone", or roles separated by commas.
ROUTES_TABLE: Final = """
GET    /                                                                            public
GET    /api/v1/alerts                                                               bureau
GET    /api/v1/alerts/{alert_id}                                                    bureau
POST   /api/v1/alerts/{alert_id}/acknowledge                                        bureau
POST   /api/v1/alerts/{alert_id}/dismiss                                            bureau
POST   /api/v1/alerts/{alert_id}/lift                                               bureau
GET    /api/v1/api-keys                                                             buyer
POST   /api/v1/api-keys                                                             buyer
DELETE /api/v1/api-keys/{key_id}                                                    buyer
POST   /api/v1/api-keys/{key_id}/resume                                             bureau
POST   /api/v1/api-keys/{key_id}/suspend                                            bureau
GET    /api/v1/approvals                                                            bureau
GET    /api/v1/approvals/{approval_id}                                              bureau
POST   /api/v1/approvals/{approval_id}/approve                                      bureau
POST   /api/v1/approvals/{approval_id}/reject                                       bureau
GET    /api/v1/audit/events                                                         bureau
GET    /api/v1/audit/events/{event_id}/leaf                                         bureau
GET    /api/v1/audit/proof/consistency                                              public
GET    /api/v1/audit/proof/inclusion                                                public
GET    /api/v1/audit/tree-head                                                      public
POST   /api/v1/auth/logout                                                          everyone
POST   /api/v1/auth/token                                                           public
GET    /api/v1/authorizations                                                       bureau,operator,registry
POST   /api/v1/authorizations                                                       bureau
GET    /api/v1/authorizations/{authorization_id}                                    bureau,operator,registry
POST   /api/v1/authorizations/{authorization_id}/decision                           bureau
GET    /api/v1/authorizations/{authorization_id}/destruction-certificate            bureau,operator,registry
GET    /api/v1/authorizations/{authorization_id}/document.html                      bureau,operator,registry
GET    /api/v1/authorizations/{authorization_id}/document.pdf                       bureau,operator,registry
POST   /api/v1/authorizations/{authorization_id}/exits                              operator
POST   /api/v1/authorizations/{authorization_id}/rectifications                     bureau
POST   /api/v1/authorizations/{authorization_id}/renew                              bureau
POST   /api/v1/authorizations/{authorization_id}/resume                             bureau
POST   /api/v1/authorizations/{authorization_id}/scope                              bureau
POST   /api/v1/authorizations/{authorization_id}/sign                               bureau,operator
POST   /api/v1/authorizations/{authorization_id}/submit                             bureau
POST   /api/v1/authorizations/{authorization_id}/suspend                            bureau
POST   /api/v1/authorizations/{authorization_id}/terminate                          bureau
GET    /api/v1/authorized-data/{authorization_id}/resources                         operator
GET    /api/v1/authorized-data/{authorization_id}/resources/{resource_id}           operator
GET    /api/v1/catalog                                                              public
GET    /api/v1/catalog/batches                                                      bureau
POST   /api/v1/catalog/batches                                                      bureau
POST   /api/v1/catalog/batches/{batch_id}/entries                                   bureau
POST   /api/v1/catalog/batches/{batch_id}/publish                                   bureau
POST   /api/v1/catalog/batches/{batch_id}/withdraw                                  bureau
GET    /api/v1/catalog/entries/{entry_id}                                           public
POST   /api/v1/catalog/entries/{entry_id}/republish                                 bureau
GET    /api/v1/catalog/entries/{entry_id}/versions                                  public
POST   /api/v1/catalog/entries/{entry_id}/withdraw                                  bureau
POST   /api/v1/consents                                                             subject
GET    /api/v1/consents/granted                                                     buyer
GET    /api/v1/consents/ledger                                                      bureau
GET    /api/v1/consents/ledger/{consent_id}                                         bureau
GET    /api/v1/consents/ledger/{consent_id}/evidence                                bureau
GET    /api/v1/consents/mine                                                        subject
GET    /api/v1/consents/mine/{consent_id}                                           subject
GET    /api/v1/consents/my-uses                                                     subject
POST   /api/v1/consents/subjects                                                    bureau
POST   /api/v1/consents/{consent_id}/revoke                                         subject
POST   /api/v1/decisions                                                            bureau
POST   /api/v1/exit-items/{item_id}/done                                            bureau
POST   /api/v1/exits/{exit_id}/assets                                               bureau
POST   /api/v1/exits/{exit_id}/complete                                             bureau
POST   /api/v1/exits/{exit_id}/decision                                             bureau
POST   /api/v1/exits/{exit_id}/execute                                              bureau
GET    /api/v1/gateway/calls                                                        bureau,buyer
POST   /api/v1/gateway/keys/{key_id}/signing-secret                                 buyer
DELETE /api/v1/gateway/keys/{key_id}/signing-secret                                 buyer
GET    /api/v1/gateway/metering                                                     bureau,buyer
POST   /api/v1/gateway/trace                                                        bureau
GET    /api/v1/ingestions/{run_id}                                                  bureau,provider
POST   /api/v1/ingestions/{run_id}/confirm                                          provider
POST   /api/v1/ingestions/{run_id}/discard                                          provider
GET    /api/v1/ingestions/{run_id}/quarantine                                       provider
GET    /api/v1/me                                                                   everyone
POST   /api/v1/me/password                                                          everyone
GET    /api/v1/operators/applications                                               operator
POST   /api/v1/operators/applications                                               operator
GET    /api/v1/operators/applications/{application_id}                              operator
PATCH  /api/v1/operators/applications/{application_id}                              operator
PUT    /api/v1/operators/applications/{application_id}/checklist/{item_key}         operator
POST   /api/v1/operators/applications/{application_id}/credit-records               operator
POST   /api/v1/operators/applications/{application_id}/entities                     operator
DELETE /api/v1/operators/applications/{application_id}/entities/{entity_id}         operator
PATCH  /api/v1/operators/applications/{application_id}/entities/{entity_id}         operator
POST   /api/v1/operators/applications/{application_id}/evidence                     operator
GET    /api/v1/operators/applications/{application_id}/evidence/{evidence_id}       operator
PUT    /api/v1/operators/applications/{application_id}/financials                   operator
POST   /api/v1/operators/applications/{application_id}/incidents                    operator
POST   /api/v1/operators/applications/{application_id}/links                        operator
DELETE /api/v1/operators/applications/{application_id}/links/{link_id}              operator
POST   /api/v1/operators/applications/{application_id}/penalties                    operator
POST   /api/v1/operators/applications/{application_id}/principals                   operator
DELETE /api/v1/operators/applications/{application_id}/principals/{principal_id}    operator
DELETE /api/v1/operators/applications/{application_id}/records/{kind}/{record_id}   operator
POST   /api/v1/operators/applications/{application_id}/revise                       operator
POST   /api/v1/operators/applications/{application_id}/submit                       operator
GET    /api/v1/operators/checklist-items                                            bureau
POST   /api/v1/operators/checklist-items                                            bureau
PATCH  /api/v1/operators/checklist-items/{key}                                      bureau
GET    /api/v1/operators/review/applications                                        bureau
GET    /api/v1/operators/review/applications/{application_id}                       bureau
PUT    /api/v1/operators/review/applications/{application_id}/checklist/{item_key}  bureau
POST   /api/v1/operators/review/applications/{application_id}/checks                bureau
POST   /api/v1/operators/review/applications/{application_id}/decision              bureau
GET    /api/v1/operators/review/applications/{application_id}/evidence/{evidence_id} bureau
GET    /api/v1/organizations                                                        bureau
POST   /api/v1/organizations                                                        bureau
GET    /api/v1/plans                                                                bureau
POST   /api/v1/plans                                                                bureau
POST   /api/v1/plans/{plan_id}/decision                                             bureau
GET    /api/v1/products                                                             bureau,operator,registry
POST   /api/v1/products                                                             operator
GET    /api/v1/products/price-caps                                                  bureau,operator,registry
POST   /api/v1/products/price-caps                                                  bureau
GET    /api/v1/products/{product_id}                                                bureau,operator,registry
PUT    /api/v1/products/{product_id}                                                operator
POST   /api/v1/products/{product_id}/amendment                                      operator
POST   /api/v1/products/{product_id}/delist                                         bureau
POST   /api/v1/products/{product_id}/list                                           operator
POST   /api/v1/products/{product_id}/resume                                         bureau
POST   /api/v1/products/{product_id}/review                                         bureau
POST   /api/v1/products/{product_id}/submit                                         operator
POST   /api/v1/products/{product_id}/suspend                                        bureau
GET    /api/v1/public-keys                                                          public
POST   /api/v1/quality/assessments                                                  bureau
GET    /api/v1/quality/rules                                                        bureau,provider
POST   /api/v1/quality/rules                                                        bureau
GET    /api/v1/quality/scores                                                       bureau,provider
POST   /api/v1/rectifications/{order_id}/check                                      bureau
POST   /api/v1/rectifications/{order_id}/report                                     operator
GET    /api/v1/registrations                                                        bureau,operator,registry
GET    /api/v1/registrations/applications                                           bureau,operator,registry
POST   /api/v1/registrations/applications                                           operator
GET    /api/v1/registrations/applications/{application_id}                          bureau,operator,registry
POST   /api/v1/registrations/applications/{application_id}/decision                 registry
POST   /api/v1/registrations/applications/{application_id}/objections               everyone
POST   /api/v1/registrations/applications/{application_id}/withdraw                 operator
POST   /api/v1/registrations/objections/{objection_id}/decision                     registry
GET    /api/v1/registrations/{registration_id}                                      bureau,operator,registry
GET    /api/v1/resources                                                            bureau,provider,registry
POST   /api/v1/resources                                                            provider
GET    /api/v1/resources/{resource_id}                                              bureau,provider,registry
PATCH  /api/v1/resources/{resource_id}                                              provider
GET    /api/v1/resources/{resource_id}/ingestions                                   bureau,provider
POST   /api/v1/resources/{resource_id}/ingestions                                   provider
POST   /api/v1/resources/{resource_id}/sharing-consent                              provider
GET    /api/v1/selections                                                           bureau
POST   /api/v1/selections                                                           bureau
GET    /api/v1/selections/assigned                                                  panel
GET    /api/v1/selections/published                                                 public
GET    /api/v1/selections/published/{round_id}                                      public
GET    /api/v1/selections/{round_id}                                                bureau
POST   /api/v1/selections/{round_id}/cancel                                         bureau
POST   /api/v1/selections/{round_id}/candidates                                     bureau
DELETE /api/v1/selections/{round_id}/candidates/{organization_id}                   bureau
POST   /api/v1/selections/{round_id}/close-scoring                                  bureau
PUT    /api/v1/selections/{round_id}/criteria                                       bureau
GET    /api/v1/selections/{round_id}/my-scores                                      panel
PUT    /api/v1/selections/{round_id}/my-scores                                      panel
POST   /api/v1/selections/{round_id}/open                                           bureau
POST   /api/v1/selections/{round_id}/panel                                          bureau
DELETE /api/v1/selections/{round_id}/panel/{user_id}                                bureau
POST   /api/v1/selections/{round_id}/publish                                        bureau
POST   /api/v1/selections/{round_id}/selection                                      bureau
POST   /api/v1/selections/{round_id}/start-scoring                                  bureau
POST   /api/v1/subscriptions                                                        buyer
GET    /api/v1/subscriptions                                                        buyer
POST   /api/v1/subscriptions/{subscription_id}/cancel                               buyer
GET    /api/v1/tickets                                                              bureau,operator,provider
POST   /api/v1/tickets                                                              bureau,operator,provider
GET    /api/v1/tickets/{ticket_id}                                                  bureau,operator,provider
POST   /api/v1/tickets/{ticket_id}/acknowledge                                      provider
POST   /api/v1/tickets/{ticket_id}/close                                            bureau,operator,provider
POST   /api/v1/tickets/{ticket_id}/fix                                              provider
POST   /api/v1/tickets/{ticket_id}/reject                                           provider
POST   /api/v1/tickets/{ticket_id}/supervise                                        bureau
GET    /api/v1/users                                                                bureau
POST   /api/v1/users                                                                bureau
POST   /api/v1/users/{user_id}/deactivate                                           bureau
POST   /api/v1/users/{user_id}/reactivate                                           bureau
GET    /api/v1/workspaces                                                           bureau,operator
GET    /api/v1/workspaces/{workspace_id}                                            bureau,operator
GET    /api/v1/workspaces/{workspace_id}/exports                                    bureau,operator
POST   /api/v1/workspaces/{workspace_id}/exports                                    operator
GET    /api/v1/workspaces/{workspace_id}/exports/{export_id}                        bureau,operator
GET    /api/v1/workspaces/{workspace_id}/exports/{export_id}/file                   operator
GET    /api/v1/workspaces/{workspace_id}/exports/{export_id}/manifest               operator
POST   /api/v1/workspaces/{workspace_id}/queries                                    operator
GET    /catalog                                                                     public
GET    /catalog.jsonld                                                              public
GET    /catalog.rdf                                                                 public
GET    /catalog.ttl                                                                 public
GET    /catalog/themes                                                              public
GET    /catalog/themes/{scheme}                                                     public
GET    /catalog/themes/{scheme}/{concept}                                           public
GET    /catalog/{entry_id}                                                          public
GET    /console/alerts                                                              bureau
GET    /console/alerts/{alert_id}                                                   bureau
POST   /console/alerts/{alert_id}/acknowledge                                       bureau
POST   /console/alerts/{alert_id}/dismiss                                           bureau
POST   /console/alerts/{alert_id}/lift                                              bureau
GET    /console                                                                     everyone
GET    /console/account                                                             everyone
POST   /console/account/password                                                    everyone
GET    /console/api-keys                                                            buyer
POST   /console/api-keys                                                            buyer
POST   /console/api-keys/{key_id}/revoke                                            buyer
GET    /console/approvals                                                           bureau
POST   /console/approvals/{approval_id}/approve                                     bureau
POST   /console/approvals/{approval_id}/reject                                      bureau
GET    /console/audit                                                               bureau
GET    /console/audit.csv                                                           bureau
GET    /console/authorizations                                                      bureau,operator,registry
POST   /console/authorizations                                                      bureau
GET    /console/authorizations/entries                                              bureau
GET    /console/authorizations/entries/chosen                                       bureau
GET    /console/authorizations/new                                                  bureau
GET    /console/authorizations/{authorization_id}                                   bureau,operator,registry
POST   /console/authorizations/{authorization_id}/assets                            bureau
POST   /console/authorizations/{authorization_id}/attestation                       operator
POST   /console/authorizations/{authorization_id}/attestation/check                 bureau
GET    /console/authorizations/{authorization_id}/attestation/document              bureau,operator,registry
GET    /console/authorizations/{authorization_id}/certificate.html                  bureau,operator,registry
GET    /console/authorizations/{authorization_id}/certificate.pdf                   bureau,operator,registry
POST   /console/authorizations/{authorization_id}/comment-rounds                    bureau
POST   /console/authorizations/{authorization_id}/decision                          bureau
GET    /console/authorizations/{authorization_id}/document.pdf                      bureau,operator,registry
POST   /console/authorizations/{authorization_id}/exits                             operator
POST   /console/authorizations/{authorization_id}/exits/{exit_id}/assets            bureau
POST   /console/authorizations/{authorization_id}/exits/{exit_id}/complete          bureau
POST   /console/authorizations/{authorization_id}/exits/{exit_id}/decision          bureau
POST   /console/authorizations/{authorization_id}/exits/{exit_id}/execute           bureau
POST   /console/authorizations/{authorization_id}/exits/{exit_id}/items/{item_id}/done bureau
POST   /console/authorizations/{authorization_id}/force-exit                        bureau
POST   /console/authorizations/{authorization_id}/rectifications                    bureau
POST   /console/authorizations/{authorization_id}/rectifications/{order_id}/check   bureau
POST   /console/authorizations/{authorization_id}/rectifications/{order_id}/refuse  operator
POST   /console/authorizations/{authorization_id}/rectifications/{order_id}/report  operator
POST   /console/authorizations/{authorization_id}/renew                             bureau
POST   /console/authorizations/{authorization_id}/resume                            bureau
POST   /console/authorizations/{authorization_id}/scope                             bureau
POST   /console/authorizations/{authorization_id}/sign                              bureau,operator
POST   /console/authorizations/{authorization_id}/submit                            bureau
POST   /console/authorizations/{authorization_id}/suspend                           bureau
POST   /console/authorizations/{authorization_id}/terminate                         bureau
GET    /console/catalog/batches                                                     bureau
POST   /console/catalog/batches                                                     bureau
GET    /console/catalog/batches/{batch_id}                                          bureau
GET    /console/catalog/batches/{batch_id}/candidates                               bureau
POST   /console/catalog/batches/{batch_id}/entries                                  bureau
POST   /console/catalog/batches/{batch_id}/{action}                                 bureau
POST   /console/catalog/entries/{entry_id}/{transition}                             bureau
GET    /console/channels                                                            bureau
POST   /console/channels                                                            bureau
GET    /console/channels/{channel_id}                                               bureau
POST   /console/channels/{channel_id}                                               bureau
POST   /console/channels/{channel_id}/status                                        bureau
GET    /console/comment-rounds                                                      bureau,finance,operator,provider
GET    /console/comment-rounds/{round_id}                                           bureau,finance,operator,provider
POST   /console/comment-rounds/{round_id}/close                                     bureau
POST   /console/comment-rounds/{round_id}/comments                                  finance,operator,provider
POST   /console/comment-rounds/{round_id}/comments/{comment_id}/handling            bureau
GET    /console/consent-ledger                                                      bureau
GET    /console/consent-ledger/{consent_id}                                         bureau
GET    /console/consent-ledger/{consent_id}/evidence/file                           bureau
GET    /console/consents                                                            subject
POST   /console/consents                                                            subject
GET    /console/consents/granted                                                    buyer
GET    /console/consents/uses                                                       subject
POST   /console/consents/{consent_id}/revoke                                        subject
GET    /console/data-subjects                                                       bureau
POST   /console/data-subjects                                                       bureau
POST   /console/decisions                                                           bureau
GET    /console/emergency-plans                                                     bureau,operator
POST   /console/emergency-plans                                                     bureau,operator
GET    /console/emergency-plans/{plan_id}                                           bureau,operator
GET    /console/emergency-plans/{plan_id}/document.pdf                              bureau,operator
POST   /console/emergency-plans/{plan_id}/drills                                    bureau,operator
GET    /console/exports                                                             bureau,operator
GET    /console/exports/{export_id}                                                 bureau,operator
POST   /console/exports/{export_id}/approve                                         bureau
POST   /console/exports/{export_id}/reject                                          bureau
GET    /console/gateway/calls                                                       bureau,buyer
GET    /console/gateway/keys                                                        buyer
POST   /console/gateway/keys/{key_id}/signing-secret                                buyer
POST   /console/gateway/keys/{key_id}/signing-secret/remove                         buyer
GET    /console/gateway/metering                                                    bureau,buyer
GET    /console/gateway/trace                                                       bureau
POST   /console/gateway/trace                                                       bureau
GET    /console/ingestions/{run_id}                                                 bureau,provider
GET    /console/incidents                                                           bureau,operator
POST   /console/incidents                                                           bureau,operator
GET    /console/incidents/new                                                       bureau,operator
GET    /console/incidents/{incident_id}                                             bureau,operator
POST   /console/incidents/{incident_id}/notes                                       bureau,operator
POST   /console/incidents/{incident_id}/rectification                               bureau
GET    /console/incidents/{incident_id}/report.pdf                                  bureau,operator
POST   /console/incidents/{incident_id}/steps                                       bureau,operator
POST   /console/ingestions/{run_id}/confirm                                         provider
POST   /console/ingestions/{run_id}/discard                                         provider
GET    /console/keys                                                                bureau
POST   /console/keys/{key_id}/resume                                                bureau
POST   /console/keys/{key_id}/suspend                                               bureau
GET    /console/operator-application                                                operator
POST   /console/operator-application                                                operator
GET    /console/operator-application/{application_id}                               operator
POST   /console/operator-application/{application_id}/evidence                      operator
GET    /console/operator-application/{application_id}/evidence/{evidence_id}        operator
POST   /console/operator-application/{application_id}/remove/{kind}/{child_id}      operator
POST   /console/operator-application/{application_id}/revise                        operator
POST   /console/operator-application/{application_id}/save/{section}                operator
POST   /console/operator-application/{application_id}/statement/{item_key}          operator
POST   /console/operator-application/{application_id}/submit                        operator
GET    /console/operator-rules                                                      bureau,operator
POST   /console/operator-rules                                                      operator
GET    /console/operator-rules/{rule_id}                                            bureau,operator
GET    /console/operator-rules/{rule_id}/document.pdf                               bureau,operator
POST   /console/operator-rules/{rule_id}/review                                     bureau
GET    /console/operators                                                           bureau
GET    /console/operators/checklist                                                 bureau
POST   /console/operators/checklist                                                 bureau
POST   /console/operators/checklist/{key}                                           bureau
GET    /console/operators/{application_id}                                          bureau
POST   /console/operators/{application_id}/checks                                   bureau
POST   /console/operators/{application_id}/decision                                 bureau
GET    /console/operators/{application_id}/evidence/{evidence_id}                   bureau
POST   /console/operators/{application_id}/judge/{item_key}                         bureau
GET    /console/organizations                                                       bureau
POST   /console/organizations                                                       bureau
GET    /console/pick/{kind}                                                         everyone
GET    /console/plans                                                               bureau
POST   /console/plans                                                               bureau
POST   /console/plans/{plan_id}/decision                                            bureau
GET    /console/price-caps                                                          bureau
POST   /console/price-caps                                                          bureau
GET    /console/products                                                            bureau,operator,registry
POST   /console/products                                                            operator
GET    /console/products/new                                                        operator
GET    /console/products/{product_id}                                               bureau,operator,registry
POST   /console/products/{product_id}/amend                                         operator
POST   /console/products/{product_id}/approve                                       bureau
POST   /console/products/{product_id}/delist                                        bureau
GET    /console/products/{product_id}/edit                                          operator
POST   /console/products/{product_id}/edit                                          operator
POST   /console/products/{product_id}/list                                          operator
POST   /console/products/{product_id}/reject                                        bureau
POST   /console/products/{product_id}/resume                                        bureau
POST   /console/products/{product_id}/submit                                        operator
POST   /console/products/{product_id}/suspend                                       bureau
GET    /console/quality                                                             bureau,provider
POST   /console/quality/assess                                                      bureau
GET    /console/quality/providers/{code}                                            bureau,provider
GET    /console/quality/rules                                                       bureau,provider
POST   /console/quality/rules                                                       bureau
GET    /console/quality/rules/{number}                                              bureau,provider
GET    /console/registrations                                                       bureau,operator,registry
POST   /console/registrations/applications                                          operator
GET    /console/registrations/applications/{application_id}                         bureau,operator,registry
POST   /console/registrations/applications/{application_id}/decide                  registry
GET    /console/registrations/applications/{application_id}/materials/{material_id} bureau,operator,registry
POST   /console/registrations/applications/{application_id}/withdraw                operator
GET    /console/registrations/new                                                   operator
POST   /console/registrations/objections/{objection_id}/decide                      registry
GET    /console/registrations/register                                              bureau,operator,registry
GET    /console/registrations/register/{registration_id}                            bureau,operator,registry
GET    /console/registrations/register/{registration_id}/certificate.html           bureau,operator,registry
GET    /console/registrations/register/{registration_id}/certificate.pdf            bureau,operator,registry
GET    /console/resources                                                           bureau,provider,registry
POST   /console/resources                                                           provider
GET    /console/resources/{resource_id}                                             bureau,provider,registry
GET    /console/resources/{resource_id}/ingestions                                  bureau,provider
POST   /console/resources/{resource_id}/sharing-consent                             provider
POST   /console/resources/{resource_id}/upload                                      provider
GET    /console/scoring                                                             panel
GET    /console/scoring/{round_id}                                                  panel
POST   /console/scoring/{round_id}                                                  panel
GET    /console/selections                                                          bureau
POST   /console/selections                                                          bureau
GET    /console/selections/{round_id}                                               bureau
POST   /console/selections/{round_id}/candidates                                    bureau
POST   /console/selections/{round_id}/candidates/{organization_id}/remove           bureau
POST   /console/selections/{round_id}/criteria                                      bureau
POST   /console/selections/{round_id}/panel                                         bureau
POST   /console/selections/{round_id}/panel/{user_id}/remove                        bureau
POST   /console/selections/{round_id}/select                                        bureau
POST   /console/selections/{round_id}/{transition}                                  bureau
GET    /console/subscriptions                                                       buyer
POST   /console/subscriptions                                                       buyer
POST   /console/subscriptions/{subscription_id}/cancel                              buyer
GET    /console/tickets                                                             bureau,operator,provider
POST   /console/tickets                                                             bureau,operator,provider
GET    /console/tickets/new                                                         bureau,operator,provider
GET    /console/tickets/{ticket_id}                                                 bureau,operator,provider
POST   /console/tickets/{ticket_id}/acknowledge                                     provider
POST   /console/tickets/{ticket_id}/close                                           bureau,operator,provider
POST   /console/tickets/{ticket_id}/fix                                             provider
POST   /console/tickets/{ticket_id}/reject                                          provider
POST   /console/tickets/{ticket_id}/supervise                                       bureau
GET    /console/usage                                                               provider
GET    /console/users                                                               bureau
POST   /console/users                                                               bureau
POST   /console/users/{user_id}/deactivate                                          bureau
POST   /console/users/{user_id}/reactivate                                          bureau
GET    /console/workspaces                                                          bureau,operator
GET    /console/workspaces/{workspace_id}                                           bureau,operator
POST   /console/workspaces/{workspace_id}/exports                                   operator
GET    /console/workspaces/{workspace_id}/exports/new                               operator
POST   /console/workspaces/{workspace_id}/queries                                   operator
POST   /console/workspaces/{workspace_id}/saved                                     operator
POST   /console/workspaces/{workspace_id}/saved/{saved_id}/delete                   operator
GET    /gateway/v1/products/{code}/download                                         buyer
POST   /gateway/v1/products/{code}/invoke                                           buyer
GET    /gateway/v1/whoami                                                           buyer
GET    /favicon.ico                                                                 public
GET    /healthz                                                                     public
POST   /locale                                                                      public
GET    /login                                                                       public
POST   /login                                                                       public
POST   /logout                                                                      everyone
GET    /portal/disclosures                                                          public
GET    /portal/selections                                                           public
GET    /portal/selections/{round_id}                                                public
GET    /market                                                                      public
GET    /market/{code}                                                               public
GET    /organizations/{code}                                                        public
GET    /problems/{code}                                                             public
GET    /openapi.json                                                               public
GET    /registry/notices                                                            public
POST   /registry/notices/{application_id}/objections                                everyone
GET    /registry/verify/{code}                                                      public
GET    /static/{path}                                                                public
GET    /transparency                                                                public
GET    /verify/certificates/{number}                                                public
"""


def _parse(table: str) -> dict[tuple[str, str], frozenset[Role] | None]:
    routes: dict[tuple[str, str], frozenset[Role] | None] = {}
    for line in table.strip().splitlines():
        method, path, who = line.split()
        assert (method, path) not in routes, f"listed twice: {method} {path}"
        if who == "public":
            routes[method, path] = None
        elif who == "everyone":
            routes[method, path] = EVERYONE
        else:
            routes[method, path] = frozenset(Role(r) for r in who.split(","))
    return routes


#: None: public. Otherwise the roles that may call the route.
ROUTES: Final = _parse(ROUTES_TABLE)


def _served(app: FastAPI) -> dict[tuple[str, str], APIRoute | None]:
    served: dict[tuple[str, str], APIRoute | None] = {}
    for route in all_routes(app):
        if isinstance(route, APIRoute):
            for method in route.methods:
                served[method, route.path] = route
        elif isinstance(route, Mount):
            served["GET", f"{route.path}/{{path}}"] = None
        elif isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    served[method, route.path] = None
    return served


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FastAPI]:
    home = tmp_path_factory.mktemp("access")
    path = home / "sluice.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    clock = FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    yield create_app(
        Settings(home=home / "var", database_url=database.url), database=database, clock=clock
    )
    database.dispose()


def test_the_table_lists_every_route_served_and_nothing_else(app: FastAPI) -> None:
    served = set(_served(app))
    assert sorted(served - set(ROUTES)) == [], "served but not in the table"
    assert sorted(set(ROUTES) - served) == [], "in the table but not served"


def test_public_routes_are_exactly_the_tables_and_the_rest_declare_one_permission(
    app: FastAPI,
) -> None:
    wrong = []
    for key, route in _served(app).items():
        if route is None:
            continue  # /openapi.json and /static: Starlette routes, public by the table
        declared = guards_of(route)
        public = any(isinstance(d, Public) for d in declared)
        required = [d for d in declared if isinstance(d, Requires)]
        if (ROUTES[key] is None) != public or (not public and len(required) != 1):
            wrong.append(f"{key}: {[type(d).__name__ for d in declared]}")
        gateway = key[1].startswith("/gateway/")
        if required and gateway != isinstance(required[0], RequiresApiKey):
            wrong.append(f"{key}: gateway routes take API keys, others do not")
    assert wrong == []


def test_every_permission_is_granted_to_someone() -> None:
    for permission in Permission:
        if permission is Permission.PUBLIC:
            continue
        assert PERMISSIONS[permission].roles, permission


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    cookies: dict[str, str]


@pytest.fixture(scope="module")
def users(app: FastAPI) -> dict[Role, object]:
    return {role: make_account(app.state.database, app.state.clock, role) for role in Role}


def _sign_in(app: FastAPI, users: dict[Role, object]) -> dict[Role, Caller]:
    """Each role's bearer token, console session and CSRF token (and the buyer's API key)."""
    database: Database = app.state.database
    clock = app.state.clock
    settings = app.state.settings
    made: dict[Role, Caller] = {}
    with database.unit_of_work() as session:
        for role, account in users.items():
            user = session.get(User, account.user_id)  # type: ignore[attr-defined]
            assert user is not None
            token, _ = identity.issue_access_token(
                session, clock=clock, settings=settings, user=user
            )
            started = identity.start_console_session(
                session, clock=clock, settings=settings, user=user
            )
            headers = {"Authorization": f"Bearer {token}", "X-CSRF-Token": started.csrf_token}
            if role is Role.BUYER:
                principal = identity.principal_for(session, user, via="token")
                _, key = identity.create_api_key(session, actor=principal, clock=clock, name="k")
                headers["X-API-Key"] = key
            made[role] = Caller(headers, {"sluice_session": started.token})
    return made


#: Routes that end the token or the console session they are called with.
LOGOUTS: Final = frozenset({("POST", "/api/v1/auth/logout"), ("POST", "/logout")})


@pytest.fixture(scope="module")
def signed_in(app: FastAPI, users: dict[Role, object]) -> dict[Role, Caller]:
    return _sign_in(app, users)


@pytest.fixture
def callers(
    request: pytest.FixtureRequest,
    app: FastAPI,
    users: dict[Role, object],
    signed_in: dict[Role, Caller],
) -> dict[Role, Caller]:
    """Each role's credentials: signed in once for the module, and afresh for a logout route
    (it ends the ones it is called with). Credentials some other route ended would fail the
    next test that uses them (401 where the table expects 403 or success), never pass it."""
    params = request.node.callspec.params
    if (params["method"], params["path"]) in LOGOUTS:
        return _sign_in(app, users)
    return signed_in


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


def _call(client: TestClient, method: str, path: str, caller: Caller | None) -> object:
    url = _concrete(path)
    console = not path.startswith(("/api/", "/gateway/"))
    headers = dict(caller.headers) if caller else {}
    cookies = caller.cookies if caller and console else {}
    if console:
        headers.pop("Authorization", None)  # the console is reached with its session
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    if console and method != "GET":
        return client.request(method, url, headers=headers, data={}, follow_redirects=False)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, url, headers=headers, json=body, follow_redirects=False)


PROTECTED = sorted(key for key, roles in ROUTES.items() if roles is not None)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_the_route_admits_exactly_the_roles_in_the_table(
    client: TestClient, callers: dict[Role, Caller], method: str, path: str
) -> None:
    granted = ROUTES[method, path]
    assert granted is not None
    anonymous = _call(client, method, path, None)
    if path.startswith(("/api/", "/gateway/")):
        assert anonymous.status_code == 401, anonymous.text  # type: ignore[attr-defined]
        assert anonymous.json()["code"] == "not_authenticated"  # type: ignore[attr-defined]
    else:
        assert anonymous.status_code == 303  # type: ignore[attr-defined]
        assert anonymous.headers["location"].startswith("/login")  # type: ignore[attr-defined]
    for role, caller in callers.items():
        response = _call(client, method, path, caller)
        status = response.status_code  # type: ignore[attr-defined]
        if role in granted:
            assert status not in (401, 403), (role, status, response.text[:300])  # type: ignore[attr-defined]
        elif path.startswith("/gateway/"):
            assert status == 401, (role, status)  # only a buyer's API key opens the gateway
        else:
            assert status == 403, (role, status, response.text[:300])  # type: ignore[attr-defined]
            if path.startswith("/api/"):
                assert response.json()["code"] == "permission_denied"  # type: ignore[attr-defined]


#: Public routes whose answer needs more than this empty world: a signed tree head needs the
#: bureau, proofs their parameters (tests/audit/test_transparency.py calls them).
NEEDS_DATA: Final = frozenset(
    {"/api/v1/audit/tree-head", "/api/v1/audit/proof/inclusion", "/api/v1/audit/proof/consistency"}
)


def test_public_routes_answer_without_credentials(client: TestClient) -> None:
    for (method, path), roles in ROUTES.items():
        if roles is not None or method != "GET" or "{" in path or path in NEEDS_DATA:
            continue
        assert client.get(path, follow_redirects=False).status_code == 200, path
