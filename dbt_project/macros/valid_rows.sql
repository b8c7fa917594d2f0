{#- The rows of a staging model that can be used: dated, not in the future, of a known customer, and the first of
    any duplicate key. The quality gate counts what this drops, per rule, so the two must agree. -#}
{% macro valid_rows(model, keys, date_column) -%}
    select s.*
    from {{ ref(model) }} as s
    where
        s.{{ date_column }} is not null
        and s.{{ date_column }} <= current_date
        and s.customer_id in (select a.customer_id from {{ ref('int_accounts_deduplicated') }} as a)
    qualify row_number() over (partition by {{ keys | join(', ') }} order by s.{{ date_column }}) = 1
{%- endmacro %}
