-- One row per usable NPS answer (one per customer and day); answers outside 0–10 are not NPS answers.
with usable as (
    {{ valid_rows('stg_crm__surveys', ['customer_id', 'answered_at'], ['answered_at'], required=['nps']) }}
)

select
    customer_id,
    answered_at,
    nps
from usable
where nps between 0 and 10
