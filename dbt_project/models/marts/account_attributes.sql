-- One row per customer: the attributes the monitor judges the model by (segment, industry), as delivered now;
-- null where the sources have none (transaction-only data).
select
    customer_id,
    segment,
    industry
from {{ ref('int_accounts_deduplicated') }}
