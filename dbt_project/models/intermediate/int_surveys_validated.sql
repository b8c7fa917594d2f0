-- One row per usable NPS answer, one per customer and day; an answer that is not a whole number in 0–10 is not an
-- NPS answer (valid_rows drops it, rule bad_score).
with usable as (
    {{ valid_rows('stg_crm__surveys', 'surveys') }}
)

select
    customer_id,
    answered_at,
    nps
from usable
