-- One row per customer: what acquiring the customer cost (null when the CRM gives none or an unusable one), the
-- cost side of the customer lifetime value.
select
    customer_id,
    acquisition_cost
from {{ ref('int_accounts_deduplicated') }}
